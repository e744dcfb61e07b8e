"""stdin: [{kind: "weights" | "run" | "model", value}]; stdout: each case's `path: message` lines
from the Python loader ([] when it accepts the value)."""
import json
import sys

import labtorch_path  # noqa: F401

from labtorch.config import parse_model_config, parse_run_config
from labtorch.errors import LabInputError
from labtorch.weights import parse_weights

PARSERS = {"weights": parse_weights, "run": parse_run_config, "model": lambda v: parse_model_config(v, "config")}
out = []
for case in json.load(sys.stdin):
    try:
        PARSERS[case["kind"]](case["value"])
        out.append([])
    except LabInputError as e:
        out.append([i.line() for i in e.issues])
json.dump(out, sys.stdout, ensure_ascii=False)
