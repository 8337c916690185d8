"""SPD's (and APD's) success on a TMS target: the decomposition recovers the target's columns.

MMCS (mean over the target's columns of the largest cosine similarity with a subcomponent's
column) and ML2R (mean norm ratio of that subcomponent column to the target column) are the
measures of APD (Braun et al. 2025, arXiv 2501.14926) and SPD (Bushnaq, Braun, Sharkey 2025,
arXiv 2506.20790), whose TMS results are MMCS 1.000 and ML2R 0.99-1.03. A job succeeds when MMCS
≥ 0.99, ML2R lies within 5 % of 1 and the causal importances on one-hot inputs match the
expected identity pattern (``target_solution_error`` 0).
"""

from __future__ import annotations

from .criteria import SuccessCriterion

TMS_RECOVERY = SuccessCriterion(
    name="spd_tms",
    bounds={"mmcs": (0.99, None), "ml2r": (0.95, 1.05), "target_solution_error": (0.0, 0.0)},
)

#: targets without TMS's feature columns (ResidMLP): the CI pattern on one-hot inputs alone
KNOWN_SOLUTION = SuccessCriterion(
    name="spd_known_solution", bounds={"target_solution_error": (0.0, 0.0)}
)

#: the mechanisms found, whatever their length: MMCS and the CI pattern without ML2R. APD's
#: columns come out shrunk (ML2R 0.893 in arXiv:2501.14926) even when its mechanisms are right,
#: so this is the criterion that compares SPD's and APD's robustness on equal terms.
MECHANISMS_RECOVERED = SuccessCriterion(
    name="mechanisms", bounds={"mmcs": (0.99, None), "target_solution_error": (0.0, 0.0)}
)
