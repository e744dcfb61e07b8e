#!/usr/bin/env python3
"""Times training steps of torch_reference.py's model for `bench --vs-torch` (src/cli/vsTorch.ts).

The Node side keeps this process alive and alternates its own steps with ours, so both are timed
on the same machine at the same moment. One JSON object a line on stdin, one reply a line on
stdout (nothing else is ever written to stdout):

  {"cmd": "init", "model": MODEL, "optimizer": OPT, "batch": BATCH, "threads": N, "seed": S,
   "gradAccumSteps": K, "clipGradNorm": C | null}
      -> {"ok": true, "threads": N, "torch": VERSION, "parameters": P}
  {"cmd": "step", "checkpointing": false | true}
      -> {"ms": MS, "loss": L}   one optimizer step on the fixed batch, timed here
  {"cmd": "quit"} or end of input -> exits 0

MODEL, OPT and BATCH are the lab's own JSON (../shared/reference/README.md). A failure answers
{"error": MESSAGE}; after a failed init the process exits 1.

  python3 tools/bench/torch_step.py [--reference PATH]
"""
import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from reference_loader import DEFAULT_REFERENCE, load_reference  # noqa: E402


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def recomputed_layers(model):
    """The layers the lab's "layers" recomputes: every layer of each stack (the encoder and the
    decoder, or the one stack) but the stack's last, which keeps its tape, as
    checkpoint_sequential called on each stack does."""
    t = model.transformer
    stacks = [t.encoder.layers, t.decoder.layers] if model.arch == "encoder-decoder" else [t.layers]
    return [layer for stack in stacks for layer in list(stack)[:-1]]


def make_checkpointable(layers, flag, checkpoint):
    """Each layer recomputes its forward in backward while flag["on"] is true (PyTorch's own
    torch.utils.checkpoint, per layer). The layer object stays what it was, so nn.Transformer's
    isinstance checks and the parameter names are unchanged."""
    for layer in layers:
        plain = layer.forward

        def forward(*args, _plain=plain, **kwargs):
            if not flag["on"]:
                return _plain(*args, **kwargs)
            # Non-reentrant: the masks travel as keyword arguments, which the reentrant form refuses.
            return checkpoint(_plain, *args, use_reentrant=False, **kwargs)

        layer.forward = forward


class Worker:
    def __init__(self, ref, torch, msg):
        self.torch = torch
        self.ref = ref
        torch.set_num_threads(int(msg["threads"]))
        torch.manual_seed(int(msg.get("seed", 0)))
        self.model = ref.make_model(msg["model"])
        if not isinstance(self.model, ref.LabTransformer):
            raise ValueError("only the token Transformer (LabTransformer) is benchmarked")
        # train(): dropout as configured, and none of nn.Transformer's inference fast paths.
        self.model.train()
        self.opt = ref.make_optimizer(self.model.parameters(), msg["optimizer"])
        self.clip = msg.get("clipGradNorm")
        self.flag = {"on": False}
        from torch.utils.checkpoint import checkpoint
        make_checkpointable(recomputed_layers(self.model), self.flag, checkpoint)
        self.micro = self.split(msg["batch"], int(msg.get("gradAccumSteps", 1)))

    def split(self, batch, k):
        """The batch as k micro-batches of tensors, built once so that no step pays for list conversion."""
        rows = len(batch["tgtOut"])
        if rows % k != 0:
            raise ValueError(f"{rows} rows do not split into {k} micro-batches")
        per = rows // k
        tensor = self.torch.tensor
        out = []
        for i in range(k):
            part = {key: tensor(v[i * per:(i + 1) * per]) for key, v in batch.items() if key in ("src", "tgtIn", "tgtOut")}
            out.append((part.get("src"), part.get("tgtIn"), part["tgtOut"]))
        return out

    def step(self, checkpointing):
        """forward, loss, backward (per micro-batch), clip, optimizer step, zero_grad; the loss read."""
        self.flag["on"] = bool(checkpointing)
        k = len(self.micro)
        start = time.perf_counter()
        total = 0.0
        for src, tgt_in, tgt_out in self.micro:
            loss = self.ref.loss_fn(self.model(src, tgt_in), tgt_out) / k
            loss.backward()
            total = total + loss.detach()
        if self.clip is not None:
            self.torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        # set_to_none as the lab does: every step starts from fresh gradients (and torch 1.13's default differs from 2.x's).
        self.opt.zero_grad(set_to_none=True)
        loss_value = float(total)  # the read-back, inside the timed step as in the lab's
        ms = (time.perf_counter() - start) * 1000
        return {"ms": ms, "loss": loss_value}


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--reference", default=str(DEFAULT_REFERENCE))
    a = p.parse_args(argv)
    worker = None
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        cmd = msg.get("cmd")
        if cmd == "quit":
            return 0
        if cmd == "init":
            try:
                import torch
                ref = load_reference(a.reference)
            except ImportError as e:
                reply({"error": f"{sys.executable} cannot import PyTorch ({e}); install Debian's python3-torch"})
                return 1
            try:
                worker = Worker(ref, torch, msg)
            except (KeyError, ValueError, TypeError) as e:
                reply({"error": f"cannot build the model or optimizer in PyTorch: {type(e).__name__}: {e}"})
                return 1
            n = sum(p.numel() for p in worker.model.parameters())
            reply({"ok": True, "threads": torch.get_num_threads(), "torch": torch.__version__, "parameters": n})
        elif cmd == "step":
            if worker is None:
                reply({"error": "step before init"})
                continue
            reply(worker.step(msg.get("checkpointing", False)))
        else:
            reply({"error": f"unknown command {cmd!r}; expected init, step or quit"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
