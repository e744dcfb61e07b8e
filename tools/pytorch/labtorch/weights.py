"""The lab's weights JSON (src/engine/weights/format.ts): read with the lab's checks and
messages, written as the lab writes it (`data` or `base64` tensors, extra top-level keys kept)."""
from __future__ import annotations

import errno
import json
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from .base64f32 import Base64Error, decode_float32, encode_float32
from .config import parse_model_config
from .errors import FieldIssue, LabInputError, field_error
from .jsvalues import MISSING, is_integer, is_number, js_number, show
from .forecaster import LabForecaster, forecaster_specs
from .model import LabTransformer, architecture

FORMAT = "transformer-lab/weights"
VERSION = 1
RESERVED = ("format", "version", "config", "tensors")
LIST_MAX = 5

Config = Dict[str, Any]


# ---- parameter names and shapes (src/engine/params.ts) ----------------------------------

def _linear(prefix: str, out: int, inp: int) -> List[Tuple[str, List[int]]]:
    return [(f"{prefix}.weight", [out, inp]), (f"{prefix}.bias", [out])]


def _norm(prefix: str, d: int) -> List[Tuple[str, List[int]]]:
    return [(f"{prefix}.weight", [d]), (f"{prefix}.bias", [d])]


def _attention(prefix: str, d: int) -> List[Tuple[str, List[int]]]:
    return [(f"{prefix}.in_proj_weight", [3 * d, d]), (f"{prefix}.in_proj_bias", [3 * d]), *_linear(f"{prefix}.out_proj", d, d)]


def _layer(prefix: str, cfg: Config, decoder: bool) -> List[Tuple[str, List[int]]]:
    d = cfg["dModel"]
    specs = _attention(f"{prefix}.self_attn", d)
    if decoder:
        specs += _attention(f"{prefix}.multihead_attn", d)
    specs += _linear(f"{prefix}.linear1", cfg["dFF"], d) + _linear(f"{prefix}.linear2", d, cfg["dFF"])
    for n in range(1, 4 if decoder else 3):
        specs += _norm(f"{prefix}.norm{n}", d)
    return specs


def param_specs(cfg: Config) -> List[Tuple[str, List[int]]]:
    """Every parameter and its shape, in PyTorch's state_dict order."""
    if cfg.get("kind") == "forecaster":
        return forecaster_specs(cfg)
    arch, d = architecture(cfg), cfg["dModel"]
    specs: List[Tuple[str, List[int]]] = []
    for side, vocab, used in (("src", cfg.get("srcVocabSize"), arch != "decoder-only"),
                              ("tgt", cfg["tgtVocabSize"], arch != "encoder-only")):
        if used:
            specs.append((f"{side}_embed.weight", [vocab, d]))
            if cfg["positional"] == "learned":
                specs.append((f"{side}_pos.weight", [cfg["maxLen"], d]))
    if arch == "encoder-decoder":
        for i in range(cfg["nEncoderLayers"]):
            specs += _layer(f"transformer.encoder.layers.{i}", cfg, decoder=False)
        specs += _norm("transformer.encoder.norm", d)
        for i in range(cfg["nDecoderLayers"]):
            specs += _layer(f"transformer.decoder.layers.{i}", cfg, decoder=True)
        specs += _norm("transformer.decoder.norm", d)
    else:
        n = cfg["nEncoderLayers"] if arch == "encoder-only" else cfg["nDecoderLayers"]
        for i in range(n):
            specs += _layer(f"transformer.layers.{i}", cfg, decoder=False)
        specs += _norm("transformer.norm", d)
    return specs + _linear("generator", cfg["tgtVocabSize"], d)


# ---- messages -------------------------------------------------------------------------

def tensor_path(name: str) -> str:
    return f"tensors[{json.dumps(name, ensure_ascii=False)}]"


def _shape_text(shape: List[int]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


def _names(names: List[str]) -> str:
    shown = ", ".join(json.dumps(n, ensure_ascii=False) for n in names[:LIST_MAX])
    return f"{shown} and {len(names) - LIST_MAX} more" if len(names) > LIST_MAX else shown


def _plural(n: int, one: str) -> str:
    return f"{n} {one if n == 1 else one + 's'}"


def _size(shape: List[int]) -> int:
    return math.prod(int(d) for d in shape)


# ---- reading --------------------------------------------------------------------------

@dataclass
class LabWeights:
    config: Config
    tensors: Dict[str, Tensor]
    extra: Dict[str, Any]


def _read_tensor(raw: Any, path: str, expected: Optional[List[int]], issues: List[FieldIssue]) -> Optional[Tensor]:
    """One tensor `{shape, dtype, data | base64}`, checked as the lab's `readTensor`."""
    if not isinstance(raw, dict):
        issues.append(FieldIssue(path, f"must be an object {{shape, dtype, data | base64}} (got {show(raw)})"))
        return None
    before = len(issues)
    shape = raw.get("shape", MISSING)
    valid_shape: Optional[List[int]] = None
    if not isinstance(shape, list) or not all(is_integer(d) and d >= 0 for d in shape):
        issues.append(FieldIssue(f"{path}.shape", "is required (an array of non-negative integers)" if shape is MISSING
                                 else f"must be an array of non-negative integers (got {show(shape)})"))
    elif expected is not None and [int(d) for d in shape] != expected:
        issues.append(FieldIssue(f"{path}.shape", f"{_shape_text(shape)} does not match the config's {_shape_text(expected)}"))
    else:
        valid_shape = [int(d) for d in shape]
    dtype = raw.get("dtype", MISSING)
    if dtype != "float32":
        issues.append(FieldIssue(f"{path}.dtype", 'is required ("float32")' if dtype is MISSING
                                 else f'must be "float32" (got {show(dtype)})'))
    has_data, has_base64 = "data" in raw, "base64" in raw
    if has_data and has_base64:
        issues.append(FieldIssue(path, 'has both "data" and "base64"; a tensor carries exactly one of them'))
    elif not has_data and not has_base64:
        issues.append(FieldIssue(path, 'has neither "data" nor "base64"; a tensor carries exactly one of them'))
    if len(issues) > before or valid_shape is None:
        return None
    need = _size(valid_shape)
    if has_base64:
        where = f"{path}.base64"
        if not isinstance(raw["base64"], str):
            issues.append(FieldIssue(where, f"must be a string (got {show(raw['base64'])})"))
            return None
        try:
            values = decode_float32(raw["base64"])
        except Base64Error as e:
            issues.append(FieldIssue(where, str(e)))
            return None
        if values.numel() != need:
            issues.append(FieldIssue(where, f"decodes to {_plural(values.numel(), 'value')}, the shape "
                                     f"{_shape_text(valid_shape)} needs {need}"))
            return None
        bad = (~torch.isfinite(values)).nonzero()
        if bad.numel() > 0:
            i = int(bad[0])
            issues.append(FieldIssue(where, f"value {js_number(float(values[i]))} at index {i} is not finite"))
            return None
        return values.reshape(valid_shape)
    where = f"{path}.data"
    data = raw["data"]
    if not isinstance(data, list):
        issues.append(FieldIssue(where, f"must be a flat array of numbers (got {show(data)})"))
        return None
    if len(data) != need:
        issues.append(FieldIssue(where, f"has {_plural(len(data), 'value')}, the shape {_shape_text(valid_shape)} needs {need}"))
        return None
    for i, x in enumerate(data):
        if not is_number(x):
            hint = (" (JSON.stringify writes NaN and Infinity as null)" if x is None
                    else " (data is flat, row-major)" if isinstance(x, list) else "")
            issues.append(FieldIssue(f"{where}[{i}]", f"must be a number (got {show(x)}){hint}"))
            return None
    values = torch.tensor(data, dtype=torch.float32)
    bad = (~torch.isfinite(values)).nonzero()
    if bad.numel() > 0:
        i = int(bad[0])
        issues.append(FieldIssue(f"{where}[{i}]", f"value {js_number(data[i])} is outside the float32 range"))
        return None
    return values.reshape(valid_shape)


def parse_weights(raw: Any) -> LabWeights:
    """A weights document (parsed JSON): format, version, model config and exactly its tensors."""
    if not isinstance(raw, dict):
        got = "an array" if isinstance(raw, list) else show(raw)
        raise field_error("", f"a weights file must be a JSON object (got {got})")
    fmt = raw.get("format", MISSING)
    if fmt != FORMAT:
        raise field_error("format", f'is required ("{FORMAT}"): this is not a transformer-lab weights file' if fmt is MISSING
                          else f'must be "{FORMAT}" (got {show(fmt)}): this is not a transformer-lab weights file')
    version = raw.get("version", MISSING)
    if version != VERSION or isinstance(version, bool):
        raise field_error("version", f"is required ({VERSION})" if version is MISSING else
                          f"must be {VERSION} (got {show(version)}): this reader knows version {VERSION} only")
    config = parse_model_config(raw.get("config", MISSING), "config")
    tensors_raw = raw.get("tensors", MISSING)
    if not isinstance(tensors_raw, dict):
        raise field_error("tensors", "is required (an object mapping parameter names to tensors)" if tensors_raw is MISSING
                          else f"must be an object mapping parameter names to tensors (got {show(tensors_raw)})")
    specs = param_specs(config)
    issues: List[FieldIssue] = []
    missing = [n for n, _ in specs if n not in tensors_raw]
    if missing:
        issues.append(FieldIssue("tensors", f"missing {_plural(len(missing), 'tensor')} the config needs: {_names(missing)}"))
    known = {n for n, _ in specs}
    unexpected = [n for n in tensors_raw if n not in known]
    if unexpected:
        issues.append(FieldIssue("tensors", f"{_plural(len(unexpected), 'unexpected tensor')} the config does not have: "
                                 f"{_names(unexpected)}"))
    tensors: Dict[str, Tensor] = {}
    for name, shape in specs:
        if name in tensors_raw:
            t = _read_tensor(tensors_raw[name], tensor_path(name), shape, issues)
            if t is not None:
                tensors[name] = t
    if issues:
        raise LabInputError(issues)
    return LabWeights(config, tensors, {k: v for k, v in raw.items() if k not in RESERVED})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json(path: str, flag: str) -> Any:
    """A JSON file; an unreadable file or text that is not JSON names the flag, as the lab's CLI does."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise field_error(flag, f"cannot read {path}: {_errno_name(e)}") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        raise field_error(flag, f"{path} is not valid JSON: {e}") from None


def _errno_name(e: OSError) -> str:
    return errno.errorcode.get(e.errno or 0, str(e))


def load_model(weights: LabWeights) -> Any:
    model = LabForecaster(weights.config) if weights.config.get("kind") == "forecaster" else LabTransformer(weights.config)
    model.load_state_dict(weights.tensors, strict=True)
    return model


# ---- writing --------------------------------------------------------------------------

def tensor_to_json(name: str, t: Tensor, encoding: str) -> Dict[str, Any]:
    """One tensor as JSON; refuses non-finite values, which JSON cannot carry."""
    flat = t.detach().float().contiguous().reshape(-1).cpu()
    bad = (~torch.isfinite(flat)).nonzero()
    if bad.numel() > 0:
        i = int(bad[0])
        raise field_error(tensor_path(name), f"cannot export the non-finite value {js_number(float(flat[i]))} at index {i}: "
                          "JSON has no NaN or Infinity")
    out: Dict[str, Any] = {"shape": list(t.shape), "dtype": "float32"}
    if encoding == "base64":
        out["base64"] = encode_float32(flat)
    else:
        out["data"] = flat.tolist()
    return out


def export_weights(config: Config, state: Dict[str, Tensor], encoding: str, extra: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The weights document, tensors in state_dict order, `extra` as further top-level keys."""
    names = [n for n, _ in param_specs(config)]
    if sorted(names) != sorted(state):
        raise field_error("tensors", "the state does not hold exactly the config's parameters")
    doc: Dict[str, Any] = {"format": FORMAT, "version": VERSION, "config": dict(config),
                           "tensors": {n: tensor_to_json(n, state[n], encoding) for n in names}}
    doc.update(extra or {})
    return doc


def dumps_weights(doc: Any) -> str:
    """Compact JSON; -0.0 keeps its sign (Python writes it as -0.0, as the lab does)."""
    return json.dumps(doc, separators=(",", ":"), allow_nan=False)
