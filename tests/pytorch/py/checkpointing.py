"""stdin: a JSON list of {model, segment, bf16?}. For each, one forward and backward of a random batch
(dropout on, the same seed) plainly and with every stack checkpointed in segments of `segment`
layers (labtorch.model.set_checkpointing); prints, per case, the largest difference in the loss
and in any gradient, the bytes the autograd graph kept from the forward pass either way, and
[layers recomputed, layers] as set_checkpointing counts them."""
import json
import sys

import labtorch_path  # noqa: F401
import torch
from torch.autograd.graph import saved_tensors_hooks

from labtorch.config import parse_model_config
from labtorch.forecast import forecaster_schema
from labtorch.forecaster import LabForecaster
from labtorch.schema import Report
from labtorch.model import LabTransformer, architecture, set_checkpointing, token_loss_sum


def build(raw):
    if raw.get("kind") == "forecaster":
        report = Report()
        cfg = forecaster_schema("model")(raw, "model", report)
        assert not report.issues, report.issues
        return LabForecaster(cfg), cfg
    cfg = parse_model_config(raw)
    return LabTransformer(cfg), cfg


def loss_of(model, cfg):
    g = torch.Generator().manual_seed(3)
    if cfg.get("kind") == "forecaster":
        x = torch.randn(4, cfg["lookback"], cfg["nVariates"], generator=g)
        return model(x).square().mean()
    arch = architecture(cfg)
    src = torch.randint(3, cfg.get("srcVocabSize") or 3, (4, 6), generator=g) if arch != "decoder-only" else None
    tgt = torch.randint(3, cfg["tgtVocabSize"], (4, 7), generator=g)
    logits = model(src, tgt[:, :-1] if arch != "encoder-only" else None)
    targets = tgt[:, 1:] if arch != "encoder-only" else tgt[:, :6]  # encoder-only: one class per source position
    return token_loss_sum(logits, targets)


def step(model, cfg, segment, bf16):
    counts = set_checkpointing(model, segment)
    model.zero_grad()
    kept = []

    def pack(t):
        kept.append(t.numel() * t.element_size())
        return t

    torch.manual_seed(5)
    with saved_tensors_hooks(pack, lambda t: t), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = loss_of(model, cfg)
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}, sum(kept), counts


out = []
for case in json.load(sys.stdin):
    torch.manual_seed(1)
    model, cfg = build(case["model"])
    model.train()
    bf16 = case.get("bf16", False)
    loss0, grads0, bytes0, _ = step(model, cfg, 0, bf16)
    loss1, grads1, bytes1, (recomputed, layers) = step(model, cfg, case["segment"], bf16)
    out.append({
        "lossDiff": abs(loss0 - loss1).item(),
        "gradDiff": max((grads0[n] - grads1[n]).abs().max().item() for n in grads0),
        "plainBytes": bytes0,
        "checkpointedBytes": bytes1,
        "recomputed": [recomputed, layers],
    })
print(json.dumps(out))
