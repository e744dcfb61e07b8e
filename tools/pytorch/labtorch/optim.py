"""torch.optim with the lab's arguments, and the lab's `optimizerState` mapped to and from
torch.optim's per-parameter state. The lab replays torch.optim's single-tensor update rules, and
its slots carry torch.optim's own state keys, so the mapping is one to one."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

import torch
from torch import Tensor, nn

from .base64f32 import Base64Error, decode_float32, encode_float32
from .errors import FieldIssue, LabInputError, field_error
from .jsvalues import is_integer, js_number

ROOT = "optimizerState"
Spec = Dict[str, Any]


def make_optimizer(params: List[nn.Parameter], spec: Spec) -> torch.optim.Optimizer:
    """The optimizer a checked `train.optimizer` names, single-tensor code path (as the lab replays it)."""
    name, lr, wd = spec["name"], spec["lr"], spec["weightDecay"]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=spec["momentum"], dampening=spec["dampening"],
                               nesterov=spec["nesterov"], weight_decay=wd, foreach=False)
    if name in ("adam", "adamw"):
        kind = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return kind(params, lr=lr, betas=tuple(spec["betas"]), eps=spec["eps"], weight_decay=wd, foreach=False)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=spec["alpha"], eps=spec["eps"], weight_decay=wd,
                                   momentum=spec["momentum"], centered=spec["centered"], foreach=False)
    return torch.optim.Adagrad(params, lr=lr, lr_decay=spec["lrDecay"], weight_decay=wd, eps=spec["eps"],
                               initial_accumulator_value=spec["initialAccumulatorValue"], foreach=False)


def slot_names(spec: Spec) -> Tuple[List[str], bool, List[str]]:
    """(tensor slots, whether a `step` is counted, slots that are sums of squares) as the lab's rules declare."""
    name = spec["name"]
    if name == "sgd":
        return (["momentum_buffer"] if spec["momentum"] != 0 else []), False, []
    if name in ("adam", "adamw"):
        return ["exp_avg", "exp_avg_sq"], True, ["exp_avg_sq"]
    if name == "rmsprop":
        slots = ["square_avg"] + (["momentum_buffer"] if spec["momentum"] > 0 else []) + (["grad_avg"] if spec["centered"] else [])
        return slots, True, ["square_avg"]
    return ["sum"], True, ["sum"]


def _shape_text(shape: List[int]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def decode_lab_state(raw: Any, spec: Spec, shapes: Dict[str, List[int]]) -> Tuple[int, Dict[str, Dict[str, Tensor]]]:
    """Checks a saved `optimizerState` as the lab's `decodeState` does; returns (step count, slots by parameter)."""
    issues: List[FieldIssue] = []

    def fail(path: str, message: str) -> None:
        issues.append(FieldIssue(path, message))

    if not isinstance(raw, dict):
        raise field_error(ROOT, "must be an object with name, step and slots")
    for key in raw:
        if key not in ("name", "step", "slots"):
            fail(ROOT, f"unknown field {json.dumps(key)}")
    if raw.get("name") != spec["name"]:
        fail(f"{ROOT}.name", f"{json.dumps(raw.get('name'))} does not match this optimizer ({json.dumps(spec['name'])})")
        raise LabInputError(issues)
    step = raw.get("step")
    if not is_integer(step) or step < 0:
        fail(f"{ROOT}.step", f"must be an integer ≥ 0 (got {json.dumps(step)})")
    if not isinstance(raw.get("slots"), dict):
        fail(f"{ROOT}.slots", "must be an object of parameter names")
        raise LabInputError(issues)
    tensor_slots, counted, non_negative = slot_names(spec)
    expected = tensor_slots + (["step"] if counted else [])
    decoded: Dict[str, Dict[str, Tensor]] = {}
    for param, slots in raw["slots"].items():
        at = f"{ROOT}.slots[{json.dumps(param)}]"
        if param not in shapes:
            fail(at, "no such parameter in this optimizer")
            continue
        if not isinstance(slots, dict):
            fail(at, f"must be an object of slots ({', '.join(expected)})")
            continue
        for name in slots:
            if name not in expected:
                kept = f" (expected {', '.join(expected)})" if expected else " (it keeps no state)"
                fail(f"{at}.{name}", f"not a slot of {spec['name']}{kept}")
        entry: Dict[str, Tensor] = {}
        for name in expected:
            path = f"{at}.{name}"
            t = slots.get(name)
            if t is None:
                fail(path, "is missing")
                continue
            if not isinstance(t, dict) or not isinstance(t.get("shape"), list) or not isinstance(t.get("base64"), str):
                fail(path, "must be {shape: number[], base64: string}")
                continue
            want = [] if name == "step" else shapes[param]
            if t["shape"] != want:
                fail(path, f"shape {_shape_text(t['shape'])} does not match {_shape_text(want)}")
                continue
            try:
                values = decode_float32(t["base64"])
            except Base64Error as e:
                fail(path, str(e))
                continue
            size = 1
            for d in want:
                size *= d
            if values.numel() != size:
                fail(path, f"holds {values.numel()} values, shape {_shape_text(want)} needs {size}")
                continue
            bad = (~torch.isfinite(values)).nonzero()
            if bad.numel() > 0:
                i = int(bad[0])
                fail(path, f"value {i} is not finite ({js_number(float(values[i]))})")
                continue
            if name == "step" and not (float(values[0]).is_integer() and 0 <= float(values[0]) <= 2 ** 24):
                fail(path, f"must be a whole number of steps (got {js_number(float(values[0]))})")
                continue
            negative = (values < 0).nonzero()
            if name in non_negative and negative.numel() > 0:
                i = int(negative[0])
                fail(path, f"value {i} is negative ({js_number(float(values[i]))}), a sum of squares cannot be")
                continue
            entry[name] = values.reshape(want).clone()
        decoded[param] = entry
    if issues:
        raise LabInputError(issues)
    return int(step), decoded


def to_torch_state(decoded: Dict[str, Dict[str, Tensor]], spec: Spec) -> Dict[str, Dict[str, Any]]:
    """Decoded lab slots as torch.optim state under the same keys. torch 1.13 counts `step` in a
    float32 scalar tensor, except RMSprop, which counts in a Python int."""
    def step_value(t: Tensor) -> Any:
        return int(t) if spec["name"] == "rmsprop" else t.reshape(())
    return {name: {slot: step_value(v) if slot == "step" else v for slot, v in slots.items()}
            for name, slots in decoded.items()}


def put_state(optimizer: torch.optim.Optimizer, params: Dict[str, nn.Parameter], by_name: Dict[str, Dict[str, Any]]) -> None:
    # Adagrad fills every parameter's state up front; one the lab never stepped keeps that start.
    for name, slots in by_name.items():
        p = params[name]
        optimizer.state[p] = {k: v.to(p.device) if isinstance(v, Tensor) and k != "step" else v for k, v in slots.items()}


def to_lab_state(by_name: Dict[str, Dict[str, Any]], spec: Spec, step: int) -> Dict[str, Any]:
    """torch.optim state by parameter name in the lab's layout: `{name, step, slots: {param: {slot: {shape, base64}}}}`."""
    tensor_slots, counted, _ = slot_names(spec)
    out: Dict[str, Any] = {"name": spec["name"], "step": step, "slots": {}}
    for name, state in by_name.items():
        if not state or (counted and float(state["step"]) == 0):
            continue  # never stepped: the lab keeps no entry either
        slots: Dict[str, Any] = {}
        if counted:
            slots["step"] = {"shape": [], "base64": encode_float32(torch.tensor([float(state["step"])]))}
        for slot in tensor_slots:
            value = state[slot]
            slots[slot] = {"shape": list(value.shape), "base64": encode_float32(value)}
        if slots:
            out["slots"][name] = slots
    return out
