"""The run's `precision` and `lossScaler` on the device at hand, with torch 1.13's limits:
CPU autocast supports bf16 only and GradScaler is CUDA-only. fp16 on CUDA: autocast fp16 with
GradScaler (the lab's rule and defaults). bf16: autocast bf16 on either device. fp16 on CPU:
trained in fp32, and a saved scaler state is carried through unchanged."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Dict, List, Optional

import torch

from .errors import FieldIssue, LabInputError
from .jsvalues import MISSING, is_integer, is_number, js_json


@dataclass
class Precision:
    autocast: Callable[[], ContextManager[Any]]
    scaler: Optional[Any]  # torch.cuda.amp.GradScaler
    carried_scaler_state: Optional[Dict[str, Any]]
    note: Optional[str]


def check_scaler_state(raw: Any, growth_interval: int) -> Dict[str, Any]:
    """The lab's `LossScaler.load` checks and messages."""
    if not isinstance(raw, dict):
        raise LabInputError([FieldIssue("lossScalerState", "must be an object with scale and growthTracker")])
    issues: List[FieldIssue] = []
    scale, tracker = raw.get("scale", MISSING), raw.get("growthTracker", MISSING)
    if not is_number(scale) or not scale > 0 or scale == float("inf"):
        issues.append(FieldIssue("lossScalerState.scale", f"must be a finite number > 0 (got {_json(scale)})"))
    if not is_integer(tracker) or not 0 <= tracker < growth_interval:
        issues.append(FieldIssue("lossScalerState.growthTracker",
                                 f"must be a whole number in [0, {growth_interval}) (got {_json(tracker)})"))
    if issues:
        raise LabInputError(issues)
    return {"scale": float(scale), "growthTracker": int(tracker)}


def _json(v: Any) -> str:
    # JSON.stringify(undefined) prints nothing at all in the lab's message; a missing key reads "undefined".
    return "undefined" if v is MISSING else js_json(v)


def setup_precision(train: Dict[str, Any], device: torch.device, saved_state: Any) -> Precision:
    precision = train["precision"]
    cfg = train["lossScaler"]
    scaling = cfg.get("enabled", precision == "fp16")
    state = check_scaler_state(saved_state, cfg["growthInterval"]) if scaling and saved_state is not None else None
    cuda = device.type == "cuda"
    note = None
    if precision == "fp32" or (precision == "fp16" and not cuda):
        autocast: Callable[[], ContextManager[Any]] = contextlib.nullcontext
        if precision == "fp16":
            note = "fp16 autocast needs CUDA in torch 1.13 (CPU autocast is bf16 only): training in fp32"
    else:
        dtype = torch.float16 if precision == "fp16" else torch.bfloat16
        autocast = lambda: torch.autocast(device.type, dtype=dtype)  # noqa: E731
    if not scaling:
        return Precision(autocast, None, None, note)
    if not cuda:
        fallback = "GradScaler is CUDA-only: no loss scaling here; the saved scaler state is written back unchanged"
        return Precision(autocast, None, state or {"scale": float(cfg["initScale"]), "growthTracker": 0},
                         f"{note}; {fallback}" if note else fallback)
    scaler = torch.cuda.amp.GradScaler(init_scale=cfg["initScale"], growth_factor=cfg["growthFactor"],
                                       backoff_factor=cfg["backoffFactor"], growth_interval=cfg["growthInterval"])
    if state is not None:
        scaler.load_state_dict({"scale": state["scale"], "growth_factor": cfg["growthFactor"],
                                "backoff_factor": cfg["backoffFactor"], "growth_interval": cfg["growthInterval"],
                                "_growth_tracker": state["growthTracker"]})
    return Precision(autocast, scaler, None, note)


def scaler_state(p: Precision) -> Optional[Dict[str, Any]]:
    """What the lab's `lossScalerState` key carries after this run, or None without loss scaling."""
    if p.scaler is not None:
        return {"scale": float(p.scaler.get_scale()), "growthTracker": int(p.scaler._get_growth_tracker())}
    return p.carried_scaler_state
