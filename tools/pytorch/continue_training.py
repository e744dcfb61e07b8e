#!/usr/bin/env python3
"""Continue a lab-trained model in PyTorch, on one process or several under torchrun.

  torchrun --nproc_per_node N tools/pytorch/continue_training.py --weights W.json --out OUT.json
           [--config RUN.json] [--steps N] [--fsdp] [--metrics M.jsonl] [--encoding base64|data]

The run config defaults to the one a lab file carries (`training.run`). Training resumes at the
file's step with the lab's data stream, optimizer state, schedule and loss scaling. A text run
reads its text (`task.file`, or a shipped corpus from node_modules) and tokenizes it with the
tokenizer the weights file carries; a forecast run reads its series (`task.csv`, or a shipped
series beside the run config) with the lab's windows and statistics. Each rank takes its share
of every global batch's rows and scales its summed loss by world_size / (the global batch's
target count), so DDP's gradient average equals the lab's target-weighted gradient. Progress goes to stderr; rank 0 writes OUT.json in the lab's layout.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from contextlib import nullcontext
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.dont_write_bytecode = True

import torch  # noqa: E402
from torch import nn  # noqa: E402

from labtorch import distributed  # noqa: E402
from labtorch.config import parse_run_config  # noqa: E402
from labtorch.dataset import Dataset, StepBatches  # noqa: E402
from labtorch.errors import FieldIssue, LabInputError, exit_with, field_error  # noqa: E402
from labtorch.evaluate import evaluate, tensors  # noqa: E402
from labtorch.forecast import TrainingOrder, evaluate_forecast, prepare, search_folders, series_text, windows_of  # noqa: E402
from labtorch.model import architecture, checkpoint_segment, set_checkpointing, token_loss_sum  # noqa: E402
from labtorch.optim import decode_lab_state, make_optimizer, put_state, to_lab_state, to_torch_state  # noqa: E402
from labtorch.precision import Precision, scaler_state, setup_precision  # noqa: E402
from labtorch.rng import hash_seed  # noqa: E402
from labtorch.schedule import learning_rate  # noqa: E402
from labtorch.jsvalues import MISSING  # noqa: E402
from labtorch.tasks import to_batch  # noqa: E402
from labtorch.text import TextData, TrainWindows, evaluate_text, parse_tokenizer, read_text  # noqa: E402
from labtorch.base64f32 import encode_float32  # noqa: E402
from labtorch.weights import dumps_weights, export_weights, load_model, parse_weights, read_json  # noqa: E402


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True, help="a weights JSON (written by the lab's `train --out` to resume exactly)")
    p.add_argument("--config", help="run config; default: the one the weights file carries (training.run)")
    p.add_argument("--out", required=True, help="where rank 0 writes the weights JSON")
    p.add_argument("--steps", type=int, help="train until this step (counted from 0, as the lab's --steps)")
    p.add_argument("--fsdp", action="store_true", help="shard with FullyShardedDataParallel instead of DDP (CUDA only)")
    p.add_argument("--metrics", help="JSON lines, one per step and per evaluation, as the lab's --metrics (rank 0)")
    p.add_argument("--encoding", choices=["base64", "data"], default="base64", help="tensor encoding of --out")
    return p.parse_args(argv)


def check_same_model(run_model: Dict[str, Any], file_model: Dict[str, Any]) -> None:
    """The file's model must be the run's: another one would silently train something else."""
    issues = [FieldIssue(f"--weights config.{k}", f"{json.dumps(file_model.get(k))} differs from the run config's "
                         f"model.{k} {json.dumps(run_model.get(k))}")
              for k in {**run_model, **file_model} if run_model.get(k) != file_model.get(k)]
    if issues:
        raise LabInputError(issues)


def saved_step(training: Any) -> Optional[int]:
    step = training.get("step") if isinstance(training, dict) else None
    return step if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else None


class Run:
    """Everything checked before any process group starts, so bad input fails fast on every rank."""

    def __init__(self, args: argparse.Namespace, world: distributed.World) -> None:
        self.weights = parse_weights(read_json(args.weights, "--weights"))
        training = self.weights.extra.get("training")
        if args.config:
            raw_run = read_json(args.config, "--config")
        elif isinstance(training, dict) and "run" in training:
            raw_run = training["run"]
        else:
            raise field_error("--config", f"is required: {args.weights} carries no run config (training.run); "
                              "lab files written by `train --out` do")
        # A shipped series lies beside the run config (`cli handover` copies it there) or in the repository.
        self.search = search_folders(args.config) + search_folders(args.weights)
        self.run = parse_run_config(raw_run, self.search)
        train = self.run["train"]
        if args.steps is not None:
            if args.steps < 0:
                raise field_error("--steps", f"must be a whole number ≥ 0 (got {args.steps})")
            train["steps"] = args.steps
        check_same_model(self.run["model"], self.weights.config)
        k, n = train["gradAccumSteps"], world.size
        if train["batchSize"] % (k * n) != 0:
            raise field_error("train.batchSize", f"batchSize {train['batchSize']} is not divisible by gradAccumSteps × "
                              f"processes ({k} × {n}): every process takes an equal share of each micro-batch")
        self.optimizer_state = None
        if "optimizerState" in self.weights.extra:
            shapes = {name: list(t.shape) for name, t in self.weights.tensors.items()}
            count, decoded = decode_lab_state(self.weights.extra["optimizerState"], train["optimizer"], shapes)
            self.optimizer_state = (count, decoded)
        optimizer_steps = self.optimizer_state[0] if self.optimizer_state else 0
        self.start = saved_step(training) if saved_step(training) is not None else optimizer_steps
        self.optimizer_steps = optimizer_steps
        self.precision = setup_precision(train, world.device, self.weights.extra.get("lossScalerState"))
        self.text: Optional[TextData] = None
        task = self.run["task"]
        if task["name"] == "text":
            tokenizer = parse_tokenizer(self.weights.extra.get("tokenizer", MISSING), "tokenizer", self.weights.config["tgtVocabSize"])
            if tokenizer.kind != task["tokenizer"]:
                raise field_error("tokenizer.type", f'the file\'s "{tokenizer.kind}" tokenizer differs from the run\'s task.tokenizer "{task["tokenizer"]}"')
            self.text = TextData(task, tokenizer, read_text(task))


def rank_rows(examples: List[Any], k: int, world: distributed.World) -> List[List[Any]]:
    """This rank's rows of each of the lab's k micro-batches: an equal contiguous share of each."""
    per = len(examples) // k
    share = per // world.size
    micro = [examples[i * per:(i + 1) * per] for i in range(k)]
    return [m[world.rank * share:(world.rank + 1) * share] for m in micro]


def state_digest(state: Dict[str, torch.Tensor]) -> str:
    """sha256 over every parameter's float32 bytes, by name: equal on every rank after a DDP run."""
    h = hashlib.sha256()
    for name in sorted(state):
        h.update(name.encode())
        h.update(encode_float32(state[name]).encode())
    return h.hexdigest()


def fmt(x: float, digits: int = 4) -> str:
    return f"{x:.{digits}f}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


class TokenSteps:
    """Copy, reverse, sort, addition: the lab's examples of each step, and its held-out set."""

    def __init__(self, run: Run, world: distributed.World) -> None:
        self.cfg, task, self.t = run.run["model"], run.run["task"], run.run["train"]
        self.layout = architecture(self.cfg)
        self.world = world
        self.data = Dataset(task, self.t["seed"], self.t["validationSize"])
        self.batches = StepBatches(self.data, self.t["batchSize"], run.start)

    def next_step(self) -> Tuple[List[Callable[[nn.Module], torch.Tensor]], int, int]:
        """This rank's micro-batches as summed-loss functions, the global batch's target count and its tokens."""
        examples = self.batches.next_examples()
        total = sum(len(e.answer) + 1 for e in examples)  # every layout's targets: the answer and its EOS
        tokens = sum(len(e.input) + len(e.answer) + 2 for e in examples)
        losses = []
        for rows in rank_rows(examples, self.t["gradAccumSteps"], self.world):
            batch = tensors(to_batch(rows, self.layout), self.world.device)
            losses.append(lambda m, b=batch: token_loss_sum(m(b["src"], b["tgt_in"]), b["tgt_out"]))
        return losses, total, tokens

    def evaluate(self, model: nn.Module, autocast: Any, final: bool) -> List[Tuple[str, Dict[str, float], str]]:
        r = evaluate(model, self.layout, self.cfg["maxLen"], self.data.validation, self.world.device, autocast)
        return [("val", r, f"exact match {100 * r['exactMatch']:.1f}%  token accuracy {100 * r['tokenAccuracy']:.1f}%")]


class TextSteps:
    """A text run: the lab's training windows of each step, and its validation windows."""

    def __init__(self, run: Run, world: distributed.World) -> None:
        self.cfg, self.t = run.run["model"], run.run["train"]
        self.data = run.text
        self.world = world
        self.windows = TrainWindows(self.data, self.t["seed"], run.start, self.t["batchSize"])
        self.validation = self.data.validation_starts(self.t["validationSize"])

    def next_step(self) -> Tuple[List[Callable[[nn.Module], torch.Tensor]], int, int]:
        starts = self.windows.next_starts(self.t["batchSize"])
        count = self.t["batchSize"] * self.data.context  # every position is a target
        losses = []
        for rows in rank_rows(starts, self.t["gradAccumSteps"], self.world):
            batch = tensors(self.data.window_batch(rows), self.world.device)
            losses.append(lambda m, b=batch: token_loss_sum(m(b["src"], b["tgt_in"]), b["tgt_out"]))
        return losses, count, count

    def evaluate(self, model: nn.Module, autocast: Any, final: bool) -> List[Tuple[str, Dict[str, float], str]]:
        r = evaluate_text(model, self.data, self.validation, self.world.device, autocast)
        return [("val", r, f"bits/char {fmt(r['bitsPerChar'])}  token accuracy {100 * r['tokenAccuracy']:.1f}%")]


class ForecastSteps:
    """The forecast task's windows (the lab's epoch order), squared errors, and MSE/MAE on validation and, at the end, test."""

    def __init__(self, run: Run, world: distributed.World) -> None:
        task, self.t = run.run["task"], run.run["train"]
        self.world = world
        self.data = prepare(task, series_text(task, run.search))
        self.order = TrainingOrder(self.data, self.t["seed"])
        for _ in range(run.start):
            self.order.next(self.t["batchSize"])

    def next_step(self) -> Tuple[List[Callable[[nn.Module], torch.Tensor]], int, int]:
        starts = self.order.next(self.t["batchSize"])
        n = len(self.data.columns)
        k, size = self.t["gradAccumSteps"], self.world.size
        per = len(starts) // k
        share = per // size
        losses = []
        for i in range(k):
            mine = starts[i * per:(i + 1) * per][self.world.rank * share:(self.world.rank + 1) * share]
            x, y = windows_of(self.data, mine)
            x, y = x.to(self.world.device), y.to(self.world.device)
            losses.append(lambda m, x=x, y=y: ((m(x).float() - y) ** 2).sum())
        return losses, len(starts) * self.data.horizon * n, len(starts) * n

    def evaluate(self, model: nn.Module, autocast: Any, final: bool) -> List[Tuple[str, Dict[str, float], str]]:
        out = []
        for split in ("val", "test") if final else ("val",):
            r = evaluate_forecast(model, self.data, split, self.world.device, autocast)
            out.append((split, r, f"MSE {fmt(r['mse'])}  MAE {fmt(r['mae'])}"))
        return out


def train(args: argparse.Namespace, run: Run, world: distributed.World) -> None:
    task, t = run.run["task"], run.run["train"]
    torch.manual_seed(hash_seed(t["seed"], "torch-dropout", world.rank, run.start))  # dropout masks cannot match the lab's
    model = load_model(run.weights).to(world.device)
    # The lab's recompute: its segments, each stack's last kept. Offloading implies one layer per
    # segment in the lab, and is checkpointing alone here.
    segment = checkpoint_segment(t["checkpointing"]) or (1 if t["offload"] == "activations" else 0)
    recomputed, layers = set_checkpointing(model, segment)
    wrapped = distributed.wrap(model, world, args.fsdp)
    params = dict(model.named_parameters()) if not args.fsdp else {}
    optimizer = make_optimizer(list(wrapped.parameters()), t["optimizer"])
    if run.optimizer_state is not None:
        by_name = to_torch_state(run.optimizer_state[1], t["optimizer"])
        if args.fsdp:
            distributed.load_optimizer_state(wrapped, optimizer, by_name)
        else:
            put_state(optimizer, params, by_name)
    precision: Precision = run.precision
    steps = ForecastSteps(run, world) if task["name"] == "forecast" else TextSteps(run, world) if task["name"] == "text" else TokenSteps(run, world)
    log = (lambda line: sys.stderr.write(line + "\n")) if world.leader else (lambda line: None)
    metrics = open(args.metrics, "w") if args.metrics and world.leader else None
    if precision.note:
        log(f"note: {precision.note}")
    if t["offload"] == "activations":
        log("note: offload: checkpointed as below instead; segment boundaries stay on the device")
    if segment:
        log(f"checkpointing: segments of {segment} layer(s), {recomputed} of {layers} layers recomputed (torch.utils.checkpoint; each stack's last segment kept)")
    log(f"continuing at step {run.start} of {t['steps']} on {world.size} process(es), {world.device.type}, "
        f"{'FSDP' if args.fsdp else 'DDP' if world.distributed else 'single process'}")
    eval_model = wrapped if args.fsdp else model
    optimizer_steps = run.optimizer_steps
    started = time.perf_counter()
    for step in range(run.start, t["steps"]):
        step_started = time.perf_counter()
        micro, total_targets, tokens = steps.next_step()
        lr = learning_rate(t["schedule"], t["optimizer"]["lr"], step, t["steps"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        local_sum = torch.zeros((), device=world.device)
        for i, summed_loss in enumerate(micro):
            last = i == len(micro) - 1
            sync = nullcontext() if last or not world.distributed else wrapped.no_sync()
            with sync:
                with precision.autocast():
                    summed = summed_loss(wrapped)
                loss = summed * (world.size / total_targets)
                (precision.scaler.scale(loss) if precision.scaler else loss).backward()
            local_sum += summed.detach()
        mean_loss = float(distributed.all_sum(local_sum, world)) / total_targets
        if precision.scaler:
            precision.scaler.unscale_(optimizer)
        limit = t["clipGradNorm"] or math.inf
        grad_norm = float(wrapped.clip_grad_norm_(limit) if args.fsdp else nn.utils.clip_grad_norm_(wrapped.parameters(), limit))
        skipped = False
        if precision.scaler:
            scale_before = precision.scaler.get_scale()
            precision.scaler.step(optimizer)
            precision.scaler.update()
            skipped = precision.scaler.get_scale() < scale_before
        elif not math.isfinite(mean_loss):
            raise RuntimeError(f"training diverged at step {step}: the loss is not a finite number; "
                               "lower the learning rate or clip gradients")
        else:
            optimizer.step()
        optimizer_steps += 0 if skipped else 1
        optimizer.zero_grad(set_to_none=True)
        step_ms = (time.perf_counter() - step_started) * 1000
        line: Dict[str, Any] = {"step": step, "loss": mean_loss, "lr": lr, "gradNorm": grad_norm,
                                "tokensPerSec": tokens / step_ms * 1000, "stepMs": step_ms}
        if precision.scaler:
            line.update(lossScale=scale_before, skipped=skipped)
        if metrics:
            metrics.write(json.dumps(line) + "\n")
        log(f"step {step + 1}/{t['steps']}  loss {fmt(mean_loss)}  lr {lr:.2e}  |g| {fmt(grad_norm, 3)}  "
            f"{line['tokensPerSec']:.0f} tok/s  {time.perf_counter() - started:.0f}s elapsed")
        done = step + 1
        if done % t["evalEvery"] == 0 or done == t["steps"]:
            for split, result, shown in steps.evaluate(eval_model, precision.autocast, done == t["steps"]):
                if metrics:
                    metrics.write(json.dumps({"step": done, "split": split, **result}) + "\n")
                log(f"eval @{done}  {split} loss {fmt(result['loss'])}  {shown}")
    if metrics:
        metrics.close()
    finish(args, run, world, wrapped, model, optimizer, params, max(run.start, t["steps"]), optimizer_steps)


def finish(args: argparse.Namespace, run: Run, world: distributed.World, wrapped: nn.Module, model: nn.Module,
           optimizer: torch.optim.Optimizer, params: Dict[str, nn.Parameter], step: int, optimizer_steps: int) -> None:
    """Rank 0 writes the weights JSON in the lab's layout; every rank reports a digest of its weights."""
    state = distributed.full_state(wrapped, args.fsdp)
    if args.fsdp:
        by_name = distributed.gather_optimizer_state(wrapped, optimizer)
    else:
        by_name = {name: optimizer.state.get(p, {}) for name, p in params.items()}
        sys.stderr.write(f"rank {world.rank} weights sha256 {state_digest(state)}\n")
    if not world.leader:
        return
    extra: Dict[str, Any] = {"optimizerState": to_lab_state(by_name, run.run["train"]["optimizer"], optimizer_steps)}
    scaler = scaler_state(run.precision)
    if scaler is not None:
        extra["lossScalerState"] = scaler
    if run.text is not None:
        extra["tokenizer"] = run.text.tokenizer.to_json()
    extra["training"] = {"step": step, "run": run.run}
    doc = export_weights(run.weights.config, state, args.encoding, extra)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(dumps_weights(doc))
    sys.stderr.write(f"weights written to {args.out}\n")


def main(argv: List[str]) -> None:
    args = parse_args(argv)
    world = distributed.world_from_env()
    try:
        if args.fsdp:
            distributed.fsdp_class()
        run = Run(args, world)
    except LabInputError as e:
        if world.leader:
            exit_with(e)
        sys.exit(2)
    distributed.start(world)
    try:
        train(args, run, world)
    finally:
        if world.distributed:
            torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
