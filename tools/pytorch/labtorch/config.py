"""Model and run configs, checked as src/engine/config.ts and src/engine/runConfig.ts check them
(same defaults, same bounds, same `path: message` lines)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from .errors import FieldIssue, LabInputError
from .jsvalues import MISSING, js_json, js_number
from .model import architecture
from .schema import (OPTIONAL, REQUIRED, Check, Report, boolean, choice, integer, literal, literal_or_int, nullable,
                     number, obj, pair, tagged)
from .forecast import forecaster_schema, parse_forecast_run
from .tasks import TASKS, sequence_length
from .text import CORPORA

Config = Dict[str, Any]


def _model_schema(prefix: str) -> Check:
    def rules(m: Config, report: Report) -> None:
        def fail(field: str, message: str) -> None:
            report.add(f"{prefix}.{field}", message)
        if m["dModel"] % 2 != 0:
            fail("dModel", f"dModel {m['dModel']} must be even")
        if m["dModel"] % m["nHeads"] != 0:
            fail("dModel", f"dModel {m['dModel']} is not divisible by nHeads {m['nHeads']}")
        if m["nEncoderLayers"] == 0 and m["nDecoderLayers"] == 0:
            fail("nEncoderLayers", "a model needs encoder or decoder layers: nEncoderLayers and nDecoderLayers are both 0")
        if m["nEncoderLayers"] > 0 and "srcVocabSize" not in m:
            fail("srcVocabSize", "srcVocabSize is required when the model has encoder layers")
    return obj([
        ("srcVocabSize", integer(3, 1_000_000), OPTIONAL),
        ("tgtVocabSize", integer(3, 1_000_000), REQUIRED),
        ("dModel", integer(2, 65_536), REQUIRED),
        ("nHeads", integer(1, 1024), REQUIRED),
        ("nEncoderLayers", integer(0, 256), 0),
        ("nDecoderLayers", integer(0, 256), 0),
        ("dFF", integer(1, 1_048_576), REQUIRED),
        ("dropout", number(0, 1, hi_open=True), 0),
        ("activation", choice("relu", "gelu"), "relu"),
        ("normFirst", boolean, True),
        ("maxLen", integer(1, 65_536), REQUIRED),
        ("positional", choice("sinusoidal", "learned"), "sinusoidal"),
        ("layerNormEps", number(0, 1, lo_open=True, hi_open=True), 1e-5),
    ], rules)


def parse_model_config(raw: Any, prefix: str = "model", vocab: Optional[int] = None) -> Config:
    """A checked model config with defaults filled; `vocab` fills vocabulary sizes a run config leaves to its task.
    A `"kind": "forecaster"` config is the forecaster's (forecast.py)."""
    if isinstance(raw, dict) and raw.get("kind") == "forecaster":
        report = Report()
        out = forecaster_schema(prefix)(raw, prefix, report)
        if report.issues:
            raise LabInputError(report.issues)
        return out
    value = raw
    if vocab is not None and isinstance(raw, dict):
        value = {"srcVocabSize": vocab, "tgtVocabSize": vocab, **raw}
        if _raw_architecture(raw) == "decoder-only" and "srcVocabSize" not in raw:
            del value["srcVocabSize"]
    report = Report()
    out = _model_schema(prefix)(value, prefix, report)
    if report.issues:
        raise LabInputError(report.issues)
    return out


def _raw_architecture(m: Dict[str, Any]) -> Optional[str]:
    enc = m.get("nEncoderLayers", 0) if isinstance(m.get("nEncoderLayers"), (int, float)) else 0
    dec = m.get("nDecoderLayers", 0) if isinstance(m.get("nDecoderLayers"), (int, float)) else 0
    return architecture({"nEncoderLayers": enc, "nDecoderLayers": dec}) if enc > 0 or dec > 0 else None


# ---- task ------------------------------------------------------------------------------

def _sequence_rules(t: Config, report: Report) -> None:
    if not report.issues and t["minLength"] > t["maxLength"]:
        report.add("task.minLength", f"minLength {t['minLength']} is greater than maxLength {t['maxLength']}")


def _sequence_task(name: str) -> Check:
    return obj([("name", literal(name), REQUIRED), ("minLength", integer(1, 64), 1), ("maxLength", integer(1, 64), 8),
                ("symbols", integer(2, 100), 10)], _sequence_rules)


TASK_SCHEMAS = {name: _sequence_task(name) for name in ("copy", "reverse", "sort")}
TASK_SCHEMAS["addition"] = obj([("name", literal("addition"), REQUIRED), ("maxDigits", integer(1, 20), 3)])


def _nonempty_string(v: Any, path: str, report: Report) -> Any:
    if not isinstance(v, str):
        report.add(path, f"must be string (got {js_json(v)})", aborting=True)
    elif v == "":
        report.add(path, 'must be ≥ 1 (got "")')
    return v


def _text_rules(t: Config, report: Report) -> None:
    if "file" not in t and "corpus" not in t:
        report.add("task.corpus", f'name the text: "corpus" (one the lab ships: {", ".join(CORPORA)}) or "file" (a UTF-8 text file)')
    if "file" in t and "corpus" in t:
        report.add("task.file", 'give "file" or "corpus", not both')


# The text task (src/tasks/text/task.ts). Its vocabulary follows from its text, which the lab
# checked when it wrote the run; here the tokenizer comes from the weights file.
TASK_SCHEMAS["text"] = obj([("name", literal("text"), REQUIRED), ("file", _nonempty_string, OPTIONAL),
                            ("corpus", choice(*CORPORA), OPTIONAL), ("tokenizer", choice("char", "bpe"), "char"),
                            ("vocabSize", integer(4, 32768), 512), ("contextLength", integer(1, 4096), 64)], _text_rules)


def _task(raw: Any, path: str, report: Report) -> Any:
    if not isinstance(raw, dict):
        return obj([])(raw, path, report)
    name = raw.get("name")
    choice(*TASK_SCHEMAS)(name if "name" in raw else MISSING, f"{path}.name", report)
    if report.aborted:
        return raw
    return TASK_SCHEMAS[name](raw, path, report)


# ---- train -----------------------------------------------------------------------------

_lr = number(0)
_eps = number(0)
_decay = number(0)
_beta = number(0, 1, hi_open=True)
_betas = pair(_beta)


def _sgd_rules(c: Config, report: Report) -> None:
    if c["nesterov"] and (c["momentum"] <= 0 or c["dampening"] != 0):
        report.add("train.optimizer.nesterov", "Nesterov momentum requires a momentum and zero dampening "
                   f"(momentum {js_number(c['momentum'])}, dampening {js_number(c['dampening'])})")


OPTIMIZERS = tagged({
    "sgd": obj([("name", literal("sgd"), REQUIRED), ("lr", _lr, REQUIRED), ("momentum", number(0), 0),
                ("dampening", number(0, 1), 0), ("nesterov", boolean, False), ("weightDecay", _decay, 0)], _sgd_rules),
    "adam": obj([("name", literal("adam"), REQUIRED), ("lr", _lr, REQUIRED), ("betas", _betas, lambda: [0.9, 0.999]),
                 ("eps", _eps, 1e-8), ("weightDecay", _decay, 0)]),
    "adamw": obj([("name", literal("adamw"), REQUIRED), ("lr", _lr, REQUIRED), ("betas", _betas, lambda: [0.9, 0.999]),
                  ("eps", _eps, 1e-8), ("weightDecay", _decay, 0.01)]),
    "rmsprop": obj([("name", literal("rmsprop"), REQUIRED), ("lr", _lr, REQUIRED), ("alpha", number(0, 1), 0.99),
                    ("eps", _eps, 1e-8), ("weightDecay", _decay, 0), ("momentum", number(0), 0),
                    ("centered", boolean, False)]),
    "adagrad": obj([("name", literal("adagrad"), REQUIRED), ("lr", _lr, REQUIRED), ("eps", _eps, 1e-10),
                    ("weightDecay", _decay, 0), ("lrDecay", number(0), 0),
                    ("initialAccumulatorValue", number(0), 0)]),
})

_warmup = integer(0)
SCHEDULES = tagged({
    "constant": obj([("name", literal("constant"), REQUIRED), ("warmupSteps", _warmup, 0)]),
    "cosine": obj([("name", literal("cosine"), REQUIRED), ("warmupSteps", _warmup, 0), ("minLr", number(0), 0),
                   ("totalSteps", integer(1), OPTIONAL)]),
    "step": obj([("name", literal("step"), REQUIRED), ("warmupSteps", _warmup, 0), ("stepSize", integer(1), REQUIRED),
                 ("gamma", number(0, lo_open=True), 0.1)]),
    "exponential": obj([("name", literal("exponential"), REQUIRED), ("warmupSteps", _warmup, 0),
                        ("gamma", number(0, lo_open=True), REQUIRED)]),
})

LOSS_SCALER = obj([("enabled", boolean, OPTIONAL), ("initScale", number(0, lo_open=True), 65536),
                   ("growthFactor", number(1, lo_open=True), 2),
                   ("backoffFactor", number(0, 1, lo_open=True, hi_open=True), 0.5),
                   ("growthInterval", integer(1), 2000)])


def _train_rules(t: Config, report: Report) -> None:
    if t["batchSize"] % t["gradAccumSteps"] != 0:
        report.add("train.gradAccumSteps", f"batchSize {t['batchSize']} is not divisible by gradAccumSteps {t['gradAccumSteps']}")


TRAIN = obj([
    ("batchSize", integer(1, 65_536), 32),
    ("steps", integer(0, 10_000_000), 1000),
    ("seed", integer(0, 2 ** 32 - 1), 0),
    ("optimizer", OPTIMIZERS, lambda: {"name": "adam", "lr": 1e-3}),
    ("schedule", SCHEDULES, lambda: {"name": "constant"}),
    ("gradAccumSteps", integer(1, 4096), 1),
    ("clipGradNorm", nullable(number(0, lo_open=True)), None),
    ("precision", choice("fp32", "fp16", "bf16"), "fp32"),
    ("checkpointing", literal_or_int(["none", "layers"], 1, 256), "none"),
    ("offload", choice("none", "activations"), "none"),
    ("lossScaler", LOSS_SCALER, dict),
    ("evalEvery", integer(1), 100),
    ("validationSize", integer(1, 100_000), 256),
    ("readbackEvery", integer(1, 1000), 8),  # the lab's read-back cadence; no effect here
], _train_rules)


def parse_run_config(raw: Any, search: Optional[List[Any]] = None) -> Config:
    """Every problem of a run config at once, each naming its field, as the lab's `parseLabRunConfig`:
    a forecast task's series is read (a `dataset` is looked for in `search` first) and checked."""
    if not isinstance(raw, dict):
        raise LabInputError([FieldIssue("", "a run config must be a JSON object with model, task and train")])
    if isinstance(raw.get("task"), dict) and raw["task"].get("name") == "forecast":
        return parse_forecast_run(raw, TRAIN, search or [])[0]
    issues: List[FieldIssue] = [FieldIssue(k, f'unknown field "{k}"') for k in raw if k not in ("model", "task", "train")]
    task_report = Report()
    task = _task(raw.get("task", MISSING), "task", task_report)
    issues += task_report.issues
    task_ok = not task_report.issues
    vocab = TASKS[task["name"]].vocab_size(task) if task_ok and task["name"] != "text" else None if task_ok else 3
    model: Optional[Config] = None
    try:
        model = parse_model_config(raw.get("model", MISSING), "model", vocab)
    except LabInputError as e:
        issues += e.issues
    train_report = Report()
    train = TRAIN(raw.get("train", {}), "train", train_report)
    issues += train_report.issues
    if task_ok and model is not None:
        issues += _task_fit(task, model)
    if issues:
        raise LabInputError(issues)
    return {"model": model, "task": task, "train": train}


def _task_fit(task: Config, model: Config) -> List[FieldIssue]:
    arch = architecture(model)
    if task["name"] == "text":
        issues = []
        if arch != "decoder-only":
            issues.append(FieldIssue("model.nEncoderLayers", "the text task trains a decoder-only model "
                                     f"(nEncoderLayers 0, nDecoderLayers ≥ 1), not an {arch} one"))
        if model["maxLen"] < task["contextLength"]:
            issues.append(FieldIssue("task.contextLength", f"contextLength {task['contextLength']} is longer than the "
                                     f"model's maxLen {model['maxLen']}"))
        return issues
    issues = []
    vocab = TASKS[task["name"]].vocab_size(task)
    longest = sequence_length(task, arch)
    if model["maxLen"] < longest:
        issues.append(FieldIssue("model.maxLen", f"maxLen {model['maxLen']} is shorter than the longest sequence "
                                 f"the {task['name']} task makes for the {arch} layout ({longest})"))
    if arch != "decoder-only" and model["srcVocabSize"] < vocab:
        issues.append(FieldIssue("model.srcVocabSize", f"srcVocabSize {model['srcVocabSize']} is smaller than the "
                                 f"{task['name']} task's vocabulary ({vocab})"))
    if model["tgtVocabSize"] < vocab:
        issues.append(FieldIssue("model.tgtVocabSize", f"tgtVocabSize {model['tgtVocabSize']} is smaller than the "
                                 f"{task['name']} task's vocabulary ({vocab})"))
    return issues
