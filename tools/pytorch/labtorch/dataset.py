"""Port of src/tasks/dataset.ts and the trainer's batch stream: the same held-out set, the same
training examples (validation inputs redrawn) and the same optimizer-step batches."""
from __future__ import annotations

from typing import Dict, List, Tuple

from .rng import Rng
from .tasks import TASKS, Batch, Config, Example, to_batch


class Dataset:
    """Validation and training draw from separate forks of the seed, as in the lab."""

    def __init__(self, task: Config, seed: int, validation_size: int) -> None:
        self._task = task
        self._sample = TASKS[task["name"]].sample
        root = Rng(seed)
        size = min(validation_size, TASKS[task["name"]].example_space(task) // 2)
        validation_rng = root.fork("validation")
        held: Dict[Tuple[int, ...], Example] = {}
        while len(held) < size:
            e = self._sample(task, validation_rng)
            held.setdefault(e.input, e)
        self.validation: List[Example] = list(held.values())
        self._held = held
        self._train_rng = root.fork("train")

    def _draw_train(self) -> Example:
        while True:
            e = self._sample(self._task, self._train_rng)
            if e.input not in self._held:
                return e

    def next_train(self, batch_size: int) -> List[Example]:
        return [self._draw_train() for _ in range(batch_size)]


class StepBatches:
    """The examples of optimizer step s, s+1, ...: the lab's trainer skips `start` steps'
    worth of examples first, so a resumed run draws what an unbroken one would have."""

    def __init__(self, dataset: Dataset, batch_size: int, start: int) -> None:
        self._dataset = dataset
        self._batch_size = batch_size
        for _ in range(start):
            dataset.next_train(batch_size)

    def next_examples(self) -> List[Example]:
        return self._dataset.next_train(self._batch_size)


def micro_batches(examples: List[Example], grad_accum_steps: int, layout: str) -> List[Batch]:
    """The lab's k micro-batches of one optimizer step: consecutive equal slices, each padded on its own."""
    per = len(examples) // grad_accum_steps
    return [to_batch(examples[i * per:(i + 1) * per], layout) for i in range(grad_accum_steps)]
