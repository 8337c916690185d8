"""Every method scored against planted ground truth, one table (same as
``subnetlab-ground-truth-study``).

Run: python scripts/ground_truth_study.py [--reduced] [--only circuit_acdc,...] [--out DIR]
"""

from subnetlab.sweeps.ground_truth_study import main

if __name__ == "__main__":
    main()
