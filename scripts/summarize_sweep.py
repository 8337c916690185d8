"""Summarise a Hydra sweep folder: CSV + Markdown table, success rates and plots.

Run: python scripts/summarize_sweep.py outputs/multiruns/<sweep> [--out DIR]
(the same as the console script ``subnetlab-summarize-sweep``).
"""

from subnetlab.sweeps.summarize import main

if __name__ == "__main__":
    main()
