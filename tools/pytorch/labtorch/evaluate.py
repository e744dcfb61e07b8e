"""Held-out metrics as src/engine/eval/ computes them: teacher-forced loss and token accuracy
over non-PAD targets, and exact match by greedy decoding."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import Tensor, nn

from .model import token_loss_sum
from .tasks import BOS, EOS, PAD, Example, to_batch

CHUNK = 128


def tensors(batch: Dict[str, List[List[int]]], device: torch.device) -> Dict[str, Optional[Tensor]]:
    as_tensor = lambda key: torch.tensor(batch[key], device=device) if key in batch else None  # noqa: E731
    return {"src": as_tensor("src"), "tgt_in": as_tensor("tgtIn"), "tgt_out": as_tensor("tgtOut")}


def _pad(rows: List[List[int]]) -> List[List[int]]:
    width = max(map(len, rows))
    return [r + [PAD] * (width - len(r)) for r in rows]


def _extend(tokens: Tensor, logits: Tensor) -> Tensor:
    return torch.cat([tokens, logits[:, -1].argmax(-1, keepdim=True)], dim=1)


def _generate(model: nn.Module, layout: str, inputs: List[List[int]], steps: int, device: torch.device) -> Tensor:
    """`steps` greedy tokens per input; decoder-only inputs must share a length (no padding shifts positions)."""
    if layout == "encoder-only":
        src = torch.tensor(_pad([[*x, EOS] for x in inputs]), device=device)
        return model(src, None).argmax(-1)[:, :min(steps, src.shape[1])]
    if layout == "encoder-decoder":
        src = torch.tensor(_pad([[*x, EOS] for x in inputs]), device=device)
        out = torch.full((len(inputs), 1), BOS, dtype=torch.long, device=device)
        for _ in range(steps):
            out = _extend(out, model(src, out))
        return out[:, 1:]
    out = torch.tensor([[BOS, *x, EOS] for x in inputs], device=device)
    prompt = out.shape[1]
    for _ in range(steps):
        out = _extend(out, model(None, out))
    return out[:, prompt:]


def _until_eos(tokens: List[int]) -> Optional[List[int]]:
    return tokens[:tokens.index(EOS)] if EOS in tokens else None


def greedy_answers(model: nn.Module, layout: str, max_len: int, inputs: List[List[int]], max_answer: int,
                   device: torch.device) -> List[Optional[List[int]]]:
    steps = min(max_answer + 1, max_len)
    groups: Dict[int, List[int]] = {}
    for i, x in enumerate(inputs):
        groups.setdefault(len(x) if layout == "decoder-only" else 0, []).append(i)
    answers: List[Optional[List[int]]] = [None] * len(inputs)
    for key, members in groups.items():
        budget = min(steps, max_len - key - 1) if layout == "decoder-only" else steps
        generated = _generate(model, layout, [inputs[i] for i in members], budget, device).tolist()
        for row, index in enumerate(members):
            answers[index] = _until_eos(generated[row])
    return answers


@torch.no_grad()
def evaluate(model: nn.Module, layout: str, max_len: int, examples: List[Example], device: torch.device,
             autocast: Callable[[], AbstractContextManager[Any]]) -> Dict[str, float]:
    """{loss, exactMatch, tokenAccuracy} over `examples`, with dropout off."""
    was_training = model.training
    model.eval()
    loss_sum, targets, correct, matches = 0.0, 0, 0, 0
    for start in range(0, len(examples), CHUNK):
        chunk = examples[start:start + CHUNK]
        t = tensors(to_batch(chunk, layout), device)
        with autocast():
            logits = model(t["src"], t["tgt_in"])
            gold = t["tgt_out"]
            loss_sum += float(token_loss_sum(logits, gold))
            keep = gold != PAD
            targets += int(keep.sum())
            correct += int(((logits.argmax(-1) == gold) & keep).sum())
            answers = greedy_answers(model, layout, max_len, [list(e.input) for e in chunk],
                                     max(len(e.answer) for e in chunk), device)
        matches += sum(a is not None and a == list(e.answer) for a, e in zip(answers, chunk))
    model.train(was_training)
    return {"loss": loss_sum / max(1, targets), "exactMatch": matches / max(1, len(examples)),
            "tokenAccuracy": correct / max(1, targets)}
