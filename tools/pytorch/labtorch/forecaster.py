"""The forecaster as a torch.nn.Module: torch_reference.py's LabForecaster (iTransformer) on
labtorch's own encoder layers, with the lab's parameter names (src/engine/forecaster/params.ts)."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import torch
from torch import Tensor, nn

from .model import EncoderLayer, Stack, _xavier_linear

Config = Dict[str, Any]


class LabForecaster(nn.Module):
    """torch_reference.py's LabForecaster, on labtorch's own encoder layers (plain ops for autocast and DDP)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = dict(cfg)
        d = cfg["dModel"]
        self.embed = _xavier_linear(cfg["lookback"], d)
        self.drop = nn.Dropout(cfg["dropout"])
        self.encoder = Stack(nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg["nLayers"])), d, cfg["layerNormEps"])
        self.projector = _xavier_linear(d, cfg["horizon"])

    def forward(self, x: Tensor) -> Tensor:
        mean = std = None
        if self.cfg["useNorm"]:
            mean = x.mean(1, keepdim=True)
            std = torch.sqrt(x.var(1, keepdim=True, unbiased=False) + 1e-5)
            x = (x - mean) / std
        h = self.drop(self.embed(x.transpose(1, 2)))
        blocked = torch.zeros(1, 1, 1, 1, dtype=torch.bool, device=x.device)
        y = self.projector(self.encoder.norm(self.encoder.run(h, blocked))).transpose(1, 2).float()
        return y * std + mean if mean is not None and std is not None else y


def forecaster_specs(cfg: Config) -> List[Tuple[str, List[int]]]:
    """LabForecaster's parameters and shapes, in state_dict order (src/engine/forecaster/params.ts)."""
    d = cfg["dModel"]
    specs = [("embed.weight", [d, cfg["lookback"]]), ("embed.bias", [d])]
    for i in range(cfg["nLayers"]):
        p = f"encoder.layers.{i}"
        specs += [(f"{p}.self_attn.in_proj_weight", [3 * d, d]), (f"{p}.self_attn.in_proj_bias", [3 * d]),
                  (f"{p}.self_attn.out_proj.weight", [d, d]), (f"{p}.self_attn.out_proj.bias", [d]),
                  (f"{p}.linear1.weight", [cfg["dFF"], d]), (f"{p}.linear1.bias", [cfg["dFF"]]),
                  (f"{p}.linear2.weight", [d, cfg["dFF"]]), (f"{p}.linear2.bias", [d]),
                  (f"{p}.norm1.weight", [d]), (f"{p}.norm1.bias", [d]), (f"{p}.norm2.weight", [d]), (f"{p}.norm2.bias", [d])]
    return specs + [("encoder.norm.weight", [d]), ("encoder.norm.bias", [d]),
                    ("projector.weight", [cfg["horizon"], d]), ("projector.bias", [cfg["horizon"]])]
