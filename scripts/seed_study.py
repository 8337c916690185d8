"""SPD's success rate over seeds on the paper's toys (same as ``subnetlab-seed-study``).

Run: python scripts/seed_study.py [--only default,spd_tms_5_2] [--n-jobs -1] [--out DIR]
"""

from subnetlab.sweeps.seed_study import main

if __name__ == "__main__":
    main()
