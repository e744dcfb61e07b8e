"""stdin: {tokenizer, text, task, seed, start, batchSize, validationSize}. Tokenizes the text with
labtorch's port and prints {ids, decoded, starts, validation}: the training windows' offsets of
the step `start` and the validation windows, as continue_training.py draws them."""
import json
import sys

import labtorch_path  # noqa: F401

from labtorch.text import TextData, TrainWindows, parse_tokenizer

job = json.load(sys.stdin)
tokenizer = parse_tokenizer(job["tokenizer"])
data = TextData(job["task"], tokenizer, job["text"])
windows = TrainWindows(data, job["seed"], job["start"], job["batchSize"])
json.dump({"ids": data.ids, "decoded": tokenizer.decode(data.ids), "starts": windows.next_starts(job["batchSize"]),
           "validation": data.validation_starts(job["validationSize"])}, sys.stdout)
