"""The forecaster (iTransformer) and the forecast task, as the lab has them
(src/engine/forecaster/, src/tasks/forecast/): the same config checks, the same CSV reading, split,
training-row statistics and windows, the same epoch order of training windows, MSE and MAE."""
from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

from .errors import FieldIssue, LabInputError, field_error
from .rng import Rng
from .schema import OPTIONAL, REQUIRED, Check, Report, boolean, choice, integer, literal, number, obj

Config = Dict[str, Any]
DATASETS = {"seattle-weather": "seattle-weather.csv", "co2-concentration": "co2-concentration.csv"}


# ---- configs ------------------------------------------------------------------------------

def forecaster_schema(prefix: str) -> Check:
    def rules(m: Config, report: Report) -> None:
        if m["dModel"] % m["nHeads"] != 0:
            report.add(f"{prefix}.dModel", f"dModel {m['dModel']} is not divisible by nHeads {m['nHeads']}")
    return obj([
        ("kind", literal("forecaster"), REQUIRED),
        ("lookback", integer(1, 2048), REQUIRED),
        ("horizon", integer(1, 1024), REQUIRED),
        ("nVariates", integer(1, 4096), REQUIRED),
        ("dModel", integer(2, 65_536), REQUIRED),
        ("nHeads", integer(1, 1024), REQUIRED),
        ("nLayers", integer(0, 256), REQUIRED),
        ("dFF", integer(1, 1_048_576), REQUIRED),
        ("dropout", number(0, 1, hi_open=True), 0),
        ("activation", choice("relu", "gelu"), "gelu"),
        ("normFirst", boolean, True),
        ("layerNormEps", number(0, 1, lo_open=True, hi_open=True), 1e-5),
        ("useNorm", boolean, True),
    ], rules)


def _task_rules(t: Config, report: Report) -> None:
    if ("csv" in t) == ("dataset" in t):
        report.add("task.dataset" if "csv" in t else "task.csv", "give exactly one of csv (a file) and dataset (a series the lab ships)")


TASK = obj([
    ("name", literal("forecast"), REQUIRED),
    ("csv", lambda v, p, r: v if isinstance(v, str) and v else (r.add(p, "must be a non-empty string", True) or v), OPTIONAL),
    ("dataset", choice(*DATASETS), OPTIONAL),
    ("columns", lambda v, p, r: v if isinstance(v, list) and v and all(isinstance(c, str) and c for c in v)
     else (r.add(p, "must be a list of column names", True) or v), OPTIONAL),
    ("lookback", integer(1, 2048), 48),
    ("horizon", integer(1, 1024), 7),
], _task_rules)


# ---- the series ---------------------------------------------------------------------------

MISSING_CELLS = {"", "na", "n/a", "nan", "null", "none", "-", "?"}
INFINITE_CELLS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
DECIMAL = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _cell(text: str) -> Tuple[str, float]:
    t = text.strip()
    if t.lower() in MISSING_CELLS:
        return "missing", 0.0
    if t.lower() in INFINITE_CELLS:
        return "infinite", 0.0
    if not DECIMAL.match(t):
        return "text", 0.0
    value = float(t)
    return ("number", value) if math.isfinite(value) else ("infinite", 0.0)


@dataclass
class ForecastData:
    columns: List[str]
    lookback: int
    horizon: int
    values: Tensor  # [rows, N] float32, standardised
    mean: List[float]
    std: List[float]
    bounds: Dict[str, Tuple[int, int]]
    windows: Dict[str, List[int]]


def series_text(task: Config, search: List[Path]) -> str:
    """The CSV text: `csv` relative to the working directory; a shipped `dataset` from `search` (the
    run config's folder, where `cli handover` copies it) or the repository's vega-datasets package."""
    if "csv" in task:
        path, field = Path(task["csv"]), "task.csv"
        candidates = [path]
    else:
        field = "task.dataset"
        name = DATASETS[task["dataset"]]
        repo = Path(__file__).resolve().parents[3]
        candidates = [d / name for d in search] + [repo / "node_modules" / "vega-datasets" / "data" / name]
        path = candidates[-1]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8-sig")
    raise field_error(field, f"cannot read {path}: ENOENT")


def prepare(task: Config, text: str) -> ForecastData:
    """The lab's prepareForecastData: header, chosen columns, every cell a finite number, the split,
    the training rows' statistics (float64, population std), the windows of each split."""
    field = "task.csv" if "csv" in task else "task.dataset"
    rows = list(csv.reader(io.StringIO(text)))
    while rows and len(rows[-1]) <= 1 and "".join(rows[-1]).strip() == "":
        rows.pop()
    if not rows:
        raise field_error(field, "the CSV is empty: it needs a header row of column names and rows of measurements")
    header = [h.strip() for h in rows[0]]
    if all(_cell(h)[0] == "number" for h in rows[0]):
        raise field_error(field, "row 1 holds numbers, not column names: the CSV needs a header row")
    body = rows[1:]
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise field_error(field, f"row {i + 2} has {len(row)} {'cell' if len(row) == 1 else 'cells'}, the header has {len(header)}")

    def numeric(c: int) -> bool:
        kinds = [_cell(r[c])[0] for r in body]
        return "text" not in kinds and "number" in kinds

    if "columns" in task:
        missing = [name for name in task["columns"] if name not in header]
        if missing:
            raise LabInputError([FieldIssue(f"task.columns.{task['columns'].index(m)}", f'the CSV has no column "{m}"') for m in missing])
        chosen = [header.index(name) for name in task["columns"]]
    else:
        chosen = [c for c in range(len(header)) if numeric(c)]
    n = len(chosen)
    raw: List[List[float]] = []
    for i, row in enumerate(body):
        out = []
        for c in chosen:
            kind, value = _cell(row[c])
            if kind != "number":
                where = f'row {i + 2}, column "{header[c]}"'
                raise field_error(field, f"{where}: {row[c]!r} is {'missing' if kind == 'missing' else 'not a finite number' if kind == 'infinite' else 'not a number'}")
            out.append(value)
        raw.append(out)
    count = len(raw)
    a, b = math.floor(0.7 * count), math.floor(0.8 * count)
    bounds = {"train": (0, a), "val": (a, b), "test": (b, count)}
    L, H = task["lookback"], task["horizon"]
    windows = {s: list(range(max(lo, L), hi - H + 1)) for s, (lo, hi) in bounds.items()}
    if any(not w for w in windows.values()):
        raise field_error("task.lookback", f"{count} rows are too few for one window of lookback {L} + horizon {H} in each split")
    mean, std = [], []
    for j in range(n):
        s = 0.0
        for i in range(a):
            s += raw[i][j]
        m = s / a
        sq = 0.0
        for i in range(a):
            sq += (raw[i][j] - m) ** 2
        mean.append(m)
        std.append(math.sqrt(sq / a))
        if std[-1] == 0:
            raise field_error(field, f'column "{header[chosen[j]]}" is constant over the {a} training rows: it cannot be standardised')
    values = torch.tensor([[(raw[i][j] - mean[j]) / std[j] for j in range(n)] for i in range(count)], dtype=torch.float64).float()
    return ForecastData([header[c] for c in chosen], L, H, values, mean, std, bounds, windows)


def windows_of(data: ForecastData, starts: List[int]) -> Tuple[Tensor, Tensor]:
    """x [rows, L, N] and y [rows, H, N] of the windows whose targets start at `starts`."""
    x = torch.stack([data.values[t - data.lookback:t] for t in starts])
    y = torch.stack([data.values[t:t + data.horizon] for t in starts])
    return x, y


class TrainingOrder:
    """The lab's trainingOrder: each epoch a Fisher–Yates permutation of the training windows on the
    run seed's `forecast-epoch-e` stream; batches run on into the next epoch."""

    def __init__(self, data: ForecastData, seed: int) -> None:
        self._windows = data.windows["train"]
        self._root = Rng(seed)
        self._epoch = -1
        self._order: List[int] = []
        self._at = 0

    def next(self, rows: int) -> List[int]:
        out: List[int] = []
        while len(out) < rows:
            if self._at >= len(self._order):
                self._epoch += 1
                rng = self._root.fork(f"forecast-epoch-{self._epoch}")
                order = list(self._windows)
                for i in range(len(order) - 1, 0, -1):
                    k = rng.int(0, i)
                    order[i], order[k] = order[k], order[i]
                self._order, self._at = order, 0
            out.append(self._order[self._at])
            self._at += 1
        return out


@torch.no_grad()
def evaluate_forecast(model: nn.Module, data: ForecastData, split: str, device: torch.device,
                      autocast: Callable[[], Any]) -> Dict[str, float]:
    """MSE (the loss) and MAE over a split's windows on the standardised scale, dropout off."""
    was_training = model.training
    model.eval()
    sq = ab = 0.0
    count = 0
    starts = data.windows[split]
    for i in range(0, len(starts), 256):
        x, y = windows_of(data, starts[i:i + 256])
        with autocast():
            err = model(x.to(device)).float().cpu() - y
        sq += float((err.double() ** 2).sum())
        ab += float(err.double().abs().sum())
        count += err.numel()
    model.train(was_training)
    return {"loss": sq / count, "mse": sq / count, "mae": ab / count}


def parse_forecast_run(raw: Config, train_check: Check, search: List[Path]) -> Tuple[Config, ForecastData]:
    """A forecast run config checked as the lab's parseLabRunConfig checks it; also its series."""
    issues: List[FieldIssue] = [FieldIssue(k, f'unknown field "{k}"') for k in raw if k not in ("model", "task", "train")]
    model_raw = raw.get("model") if isinstance(raw.get("model"), dict) else {}
    task_raw = {**{k: model_raw[k] for k in ("lookback", "horizon") if k in model_raw}, **raw["task"]}
    report = Report()
    task = TASK(task_raw, "task", report)
    issues += report.issues
    data: Optional[ForecastData] = None
    if not report.issues:
        try:
            data = prepare(task, series_text(task, search))
        except LabInputError as e:
            issues += e.issues
    shape = {"lookback": data.lookback, "horizon": data.horizon, "nVariates": len(data.columns)} if data else {}
    report = Report()
    model = forecaster_schema("model")({**shape, **model_raw}, "model", report)
    issues += report.issues
    report = Report()
    train = train_check(raw.get("train", {}), "train", report)
    issues += report.issues
    if data is not None and not issues:
        for key in ("lookback", "horizon"):
            if model[key] != task[key]:
                issues.append(FieldIssue(f"model.{key}", f"{model[key]} differs from task.{key} {task[key]}"))
        if model["nVariates"] != len(data.columns):
            names = ", ".join(f'"{c}"' for c in data.columns)
            issues.append(FieldIssue("model.nVariates", f"{model['nVariates']} differs from the {len(data.columns)} columns the task reads ({names})"))
    if issues or data is None:
        raise LabInputError(issues)
    return {"model": model, "task": {**task, "columns": data.columns}, "train": train}, data


def search_folders(config_path: Optional[str]) -> List[Path]:
    """Where a shipped series may lie beside the run: the run config's folder."""
    return [Path(os.path.dirname(os.path.abspath(config_path)))] if config_path else []
