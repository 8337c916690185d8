"""The optimiser of the parameter-decomposition methods (SPD, APD)."""

from __future__ import annotations

import torch
from torch import nn


def decomposition_optimizer(decomposition: nn.Module, lr: float) -> torch.optim.Optimizer:
    """AdamW without weight decay (Adam, as in the code of the SPD paper, arXiv:2506.20790) over
    ``decomposition``'s trainable parameters; the runs set the lr every step."""
    params = [p for p in decomposition.parameters() if p.requires_grad]
    # fused: one kernel for all parameter tensors (the toys' step is latency-bound)
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.0, fused=True)
