"""argv: RUN_JSON OUT_JSON [SEARCH_DIR]. The forecast task as labtorch sees it: columns, statistics,
windows, the first batches of the training order, and a forecaster's prediction on the first windows."""
import json
import sys
from pathlib import Path

import labtorch_path  # noqa: F401
import torch

from labtorch.config import parse_run_config
from labtorch.forecast import TrainingOrder, prepare, series_text, windows_of
from labtorch.weights import load_model, parse_weights, read_json

run_path, out_path = sys.argv[1:3]
weights_path = sys.argv[3] if len(sys.argv) > 3 else None
search = [Path(run_path).parent]
run = parse_run_config(read_json(run_path, "--config"), search)
data = prepare(run["task"], series_text(run["task"], search))
order = TrainingOrder(data, run["train"]["seed"])
out = {"run": run, "columns": data.columns, "mean": data.mean, "std": data.std, "bounds": data.bounds,
       "windows": data.windows, "order": [order.next(run["train"]["batchSize"]) for _ in range(3)],
       "values": data.values.reshape(-1).tolist()}
if weights_path:
    model = load_model(parse_weights(read_json(weights_path, "--weights"))).eval()
    x, _ = windows_of(data, data.windows["val"][:8])
    with torch.no_grad():
        out["prediction"] = model(x).reshape(-1).tolist()
with open(out_path, "w") as f:
    json.dump(out, f)
