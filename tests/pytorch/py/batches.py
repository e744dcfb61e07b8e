"""stdin: [{task, seed, validationSize, batchSize, gradAccumSteps, layout, start, steps}];
stdout: per case {validation, steps: [[micro-batch, ...], ...]} as the Python port draws them."""
import json
import sys

import labtorch_path  # noqa: F401

from labtorch.dataset import Dataset, StepBatches, micro_batches

out = []
for case in json.load(sys.stdin):
    data = Dataset(case["task"], case["seed"], case["validationSize"])
    stream = StepBatches(data, case["batchSize"], case["start"])
    steps = [micro_batches(stream.next_examples(), case["gradAccumSteps"], case["layout"]) for _ in range(case["steps"])]
    out.append({"validation": [{"input": list(e.input), "answer": list(e.answer)} for e in data.validation], "steps": steps})
json.dump(out, sys.stdout)
