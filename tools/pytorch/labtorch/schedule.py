"""The lab's learning-rate rule (src/engine/optim/schedule.ts): warm-up, then PyTorch's closed forms."""
from __future__ import annotations

import math
from typing import Any, Dict


def learning_rate(schedule: Dict[str, Any], base_lr: float, step: int, total_steps: int) -> float:
    """lr at 0-based optimizer step `step`: base·(s+1)/W during W warm-up steps, then the schedule on s − W."""
    w = schedule["warmupSteps"]
    if step < w:
        return base_lr * (step + 1) / w
    t = step - w
    name = schedule["name"]
    if name == "step":
        return base_lr * schedule["gamma"] ** (t // schedule["stepSize"])
    if name == "exponential":
        return base_lr * schedule["gamma"] ** t
    if name == "cosine":
        span = schedule.get("totalSteps", total_steps) - w
        if t >= span:
            return schedule["minLr"]
        low = schedule["minLr"]
        return low + (base_lr - low) * (1 + math.cos(math.pi * t / span)) / 2
    return base_lr
