"""The lab's Transformer as a torch.nn.Module.

Same state_dict names and shapes as PyTorch's nn.Transformer / nn.TransformerEncoder (which the
lab's engine and `torch_reference.py` use), written out layer by layer so that every call takes
the same path: nn.Transformer's inference fast path (nested tensors, fused kernels) would treat
padded positions differently in eval mode, and plain ops also let autocast, DDP and FSDP see
ordinary Linear/matmul calls.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from .tasks import PAD

Config = Dict[str, Any]


def architecture(cfg: Config) -> str:
    enc, dec = cfg.get("nEncoderLayers", 0), cfg.get("nDecoderLayers", 0)
    if enc > 0 and dec > 0:
        return "encoder-decoder"
    return "decoder-only" if dec > 0 else "encoder-only"


def sinusoidal_table(max_len: int, d: int) -> Tensor:
    """P[p, 2i] = sin(p / 10000^(2i/d)), P[p, 2i+1] = cos(...)."""
    position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    table = torch.zeros(max_len, d)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


def _xavier_linear(d_in: int, d_out: int) -> nn.Linear:
    layer = nn.Linear(d_in, d_out)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class Attention(nn.Module):
    """nn.MultiheadAttention's parameters (packed q/k/v `in_proj_*`, `out_proj`), batch first."""

    def __init__(self, d: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d, d))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * d))
        self.out_proj = _xavier_linear(d, d)
        self.dropout = nn.Dropout(dropout)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, query: Tensor, key_value: Tensor, blocked: Tensor) -> Tensor:
        """`blocked` is True where a query may not attend to a key, broadcastable to [B, 1, Tq, Tk]."""
        b, tq, d = query.shape
        tk = key_value.shape[1]
        hd = d // self.heads
        w_q, w_kv = self.in_proj_weight.split([d, 2 * d])
        b_q, b_kv = self.in_proj_bias.split([d, 2 * d])
        q = F.linear(query, w_q, b_q).view(b, tq, self.heads, hd).transpose(1, 2)
        k, v = F.linear(key_value, w_kv, b_kv).view(b, tk, 2, self.heads, hd).permute(2, 0, 3, 1, 4)
        scores = torch.matmul(q / math.sqrt(hd), k.transpose(-2, -1))
        scores = scores.masked_fill(blocked, float("-inf"))
        weights = self.dropout(torch.softmax(scores.float(), dim=-1).to(v.dtype))
        out = torch.matmul(weights, v).transpose(1, 2).reshape(b, tq, d)
        return self.out_proj(out)


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer: self-attention, feed-forward, pre- or post-LN."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        d, p, eps = cfg["dModel"], cfg["dropout"], cfg["layerNormEps"]
        self.norm_first = cfg["normFirst"]
        self.activation = F.gelu if cfg["activation"] == "gelu" else F.relu
        self.self_attn = Attention(d, cfg["nHeads"], p)
        self.linear1 = _xavier_linear(d, cfg["dFF"])
        self.dropout = nn.Dropout(p)
        self.linear2 = _xavier_linear(cfg["dFF"], d)
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.norm2 = nn.LayerNorm(d, eps=eps)
        self.dropout1 = nn.Dropout(p)
        self.dropout2 = nn.Dropout(p)

    def _feed(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, x: Tensor, blocked: Tensor) -> Tensor:
        attend = lambda h: self.dropout1(self.self_attn(h, h, blocked))  # noqa: E731
        if self.norm_first:
            x = x + attend(self.norm1(x))
            return x + self._feed(self.norm2(x))
        x = self.norm1(x + attend(x))
        return self.norm2(x + self._feed(x))


class DecoderLayer(nn.Module):
    """nn.TransformerDecoderLayer: causal self-attention, cross-attention, feed-forward."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        d, p, eps = cfg["dModel"], cfg["dropout"], cfg["layerNormEps"]
        self.norm_first = cfg["normFirst"]
        self.activation = F.gelu if cfg["activation"] == "gelu" else F.relu
        self.self_attn = Attention(d, cfg["nHeads"], p)
        self.multihead_attn = Attention(d, cfg["nHeads"], p)
        self.linear1 = _xavier_linear(d, cfg["dFF"])
        self.dropout = nn.Dropout(p)
        self.linear2 = _xavier_linear(cfg["dFF"], d)
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.norm2 = nn.LayerNorm(d, eps=eps)
        self.norm3 = nn.LayerNorm(d, eps=eps)
        self.dropout1 = nn.Dropout(p)
        self.dropout2 = nn.Dropout(p)
        self.dropout3 = nn.Dropout(p)

    def _feed(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, x: Tensor, memory: Tensor, self_blocked: Tensor, memory_blocked: Tensor) -> Tensor:
        attend = lambda h: self.dropout1(self.self_attn(h, h, self_blocked))  # noqa: E731
        cross = lambda h: self.dropout2(self.multihead_attn(h, memory, memory_blocked))  # noqa: E731
        if self.norm_first:
            x = x + attend(self.norm1(x))
            x = x + cross(self.norm2(x))
            return x + self._feed(self.norm3(x))
        x = self.norm1(x + attend(x))
        x = self.norm2(x + cross(x))
        return self.norm3(x + self._feed(x))


def _run_layers(layers: List[nn.Module]):
    def run(x: Tensor, *args: Tensor) -> Tensor:
        for layer in layers:
            x = layer(x, *args)
        return x
    return run


class Stack(nn.Module):
    """`layers.{i}` and the closing `norm`, as nn.TransformerEncoder / Decoder name them."""

    def __init__(self, layers: nn.ModuleList, d: int, eps: float) -> None:
        super().__init__()
        self.layers = layers
        self.norm = nn.LayerNorm(d, eps=eps)
        # Layers per checkpointed segment; 0 runs them plainly (set_checkpointing).
        self.segment = 0

    def run(self, x: Tensor, *args: Tensor) -> Tensor:
        """The layers in order, without the closing norm. With `segment` ≥ 1 while gradients are
        recorded, every run of `segment` consecutive layers but the stack's last runs under
        torch.utils.checkpoint (only its input is kept; it runs again in the backward pass, with
        the same dropout masks), as the lab recomputes them and as checkpoint_sequential does."""
        layers = list(self.layers)
        size = self.segment
        if size < 1 or not torch.is_grad_enabled():
            return _run_layers(layers)(x, *args)
        for start in range(0, len(layers), size):
            segment = _run_layers(layers[start:start + size])
            x = segment(x, *args) if start + size >= len(layers) else checkpoint(segment, x, *args, use_reentrant=False)
        return x


def checkpoint_segment(checkpointing: Union[str, int]) -> int:
    """`train.checkpointing` as layers per segment: "none" 0, "layers" 1, n n."""
    return 0 if checkpointing == "none" else 1 if checkpointing == "layers" else int(checkpointing)


def set_checkpointing(model: nn.Module, segment: int) -> Tuple[int, int]:
    """Checkpoints every stack of `model` (a LabTransformer or LabForecaster) in segments of
    `segment` layers (0: none); returns how many layers the backward pass runs again, of how many."""
    recomputed = total = 0
    for m in model.modules():
        if isinstance(m, Stack):
            m.segment = segment
            n = len(m.layers)
            total += n
            recomputed += (n - 1) // segment * segment if segment and n else 0
    return recomputed, total


class EncoderDecoder(nn.Module):
    def __init__(self, cfg: Config) -> None:
        super().__init__()
        d, eps = cfg["dModel"], cfg["layerNormEps"]
        self.encoder = Stack(nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg["nEncoderLayers"])), d, eps)
        self.decoder = Stack(nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg["nDecoderLayers"])), d, eps)


class LabTransformer(nn.Module):
    """Token ids in, logits out, for a validated model config (defaults filled)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = dict(cfg)
        self.arch = architecture(cfg)
        d, eps, max_len = cfg["dModel"], cfg["layerNormEps"], cfg["maxLen"]
        learned = cfg["positional"] == "learned"
        if self.arch != "decoder-only":
            self.src_embed = nn.Embedding(cfg["srcVocabSize"], d)
            self.src_pos = nn.Embedding(max_len, d) if learned else None
        if self.arch != "encoder-only":
            self.tgt_embed = nn.Embedding(cfg["tgtVocabSize"], d)
            self.tgt_pos = nn.Embedding(max_len, d) if learned else None
        if self.arch == "encoder-decoder":
            self.transformer: nn.Module = EncoderDecoder(cfg)
        else:
            n = cfg["nDecoderLayers"] if self.arch == "decoder-only" else cfg["nEncoderLayers"]
            self.transformer = Stack(nn.ModuleList(EncoderLayer(cfg) for _ in range(n)), d, eps)
        self.generator = nn.Linear(d, cfg["tgtVocabSize"])
        self.drop = nn.Dropout(cfg["dropout"])
        self.register_buffer("positions", sinusoidal_table(max_len, d), persistent=False)

    def _embed(self, tokens: Tensor, table: nn.Embedding, learned: Optional[nn.Embedding]) -> Tensor:
        t = tokens.shape[1]
        position = learned.weight[:t] if learned is not None else self.positions[:t]
        return self.drop(table(tokens) * math.sqrt(self.cfg["dModel"]) + position)

    def forward(self, src: Optional[Tensor] = None, tgt_in: Optional[Tensor] = None) -> Tensor:
        if self.arch == "encoder-only":
            assert src is not None
            h = self._encode(src)
        else:
            assert tgt_in is not None
            t = tgt_in.shape[1]
            causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=tgt_in.device), diagonal=1)
            self_blocked = causal | (tgt_in == PAD)[:, None, None, :]
            x = self._embed(tgt_in, self.tgt_embed, self.tgt_pos)
            if self.arch == "decoder-only":
                h = self.transformer.norm(self.transformer.run(x, self_blocked))
            else:
                assert src is not None
                memory = self._encode(src)
                memory_blocked = (src == PAD)[:, None, None, :]
                h = self.transformer.decoder.norm(self.transformer.decoder.run(x, memory, self_blocked, memory_blocked))
        return self.generator(h)

    def _encode(self, src: Tensor) -> Tensor:
        stack = self.transformer.encoder if self.arch == "encoder-decoder" else self.transformer
        blocked = (src == PAD)[:, None, None, :]
        return stack.norm(stack.run(self._embed(src, self.src_embed, self.src_pos), blocked))


def token_loss_sum(logits: Tensor, targets: Tensor) -> Tensor:
    """Summed cross-entropy over non-PAD targets (in fp32), so batches can be weighted by tokens."""
    flat = logits.float().reshape(-1, logits.shape[-1])
    return F.cross_entropy(flat, targets.reshape(-1), ignore_index=PAD, reduction="sum")
