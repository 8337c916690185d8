"""Summarise a circuit-study sweep folder: per-regime table (mean ± std over seeds), plots and the
BIMT-vs-baseline verdict (the same as the console script ``subnetlab-summarize-circuit-study``).

Run: python scripts/summarize_circuit_study.py outputs/multiruns/<sweep> [--out DIR]
"""

from subnetlab.sweeps.circuit_study_summary import main

if __name__ == "__main__":
    raise SystemExit(main())
