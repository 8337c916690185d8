"""The reduced SPD-vs-APD robustness study on TMS 5-2 (same as ``subnetlab-robustness-study``).

Run: python scripts/robustness_study.py [--seeds 0,1,2] [--n-jobs -1] [--out DIR]
"""

from subnetlab.sweeps.robustness_study import main

if __name__ == "__main__":
    main()
