"""argv: WEIGHTS BATCH OUT_LOGITS ROUNDTRIP_WEIGHTS. Loads a lab weights file into the PyTorch
module, writes its logits on the batch (dropout off) and writes the weights back in `data` encoding."""
import json
import sys

import labtorch_path  # noqa: F401
import torch

from labtorch.evaluate import tensors
from labtorch.weights import dumps_weights, export_weights, load_model, parse_weights, read_json

weights_path, batch_path, logits_path, roundtrip_path = sys.argv[1:5]
weights = parse_weights(read_json(weights_path, "--weights"))
model = load_model(weights).eval()
batch = tensors(read_json(batch_path, "--batch"), torch.device("cpu"))
with torch.no_grad():
    logits = model(batch["src"], batch["tgt_in"])
with open(logits_path, "w") as f:
    json.dump({"shape": list(logits.shape), "data": logits.reshape(-1).tolist()}, f)
with open(roundtrip_path, "w") as f:
    f.write(dumps_weights(export_weights(weights.config, model.state_dict(), "data", weights.extra)))
