"""Processes under torchrun: gloo on CPU, nccl on GPUs; DDP by default, FSDP on request.

Without torchrun's environment the script runs as one plain process. FSDP wraps the whole model
(one flat parameter, sharded across ranks); torch 1.13's FSDP needs CUDA, and Debian's build on
Python 3.11 cannot import it at all, so `--fsdp` is refused with the reason on such setups.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict

import torch
import torch.distributed as dist
from torch import nn

from .errors import field_error


@dataclass
class World:
    rank: int
    size: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def leader(self) -> bool:
        return self.rank == 0


def world_from_env() -> World:
    """Rank and size from torchrun's variables (1 process without them); the device follows LOCAL_RANK."""
    rank, size = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local) if torch.cuda.is_available() else torch.device("cpu")
    return World(rank, size, device)


def start(world: World) -> None:
    if world.distributed:
        if world.device.type == "cuda":
            torch.cuda.set_device(world.device)
        dist.init_process_group("nccl" if world.device.type == "cuda" else "gloo")


def fsdp_class() -> Any:
    """FullyShardedDataParallel, or a `--fsdp: ...` error saying why this setup cannot run it."""
    if not torch.cuda.is_available():
        raise field_error("--fsdp", "needs CUDA devices: torch 1.13's FullyShardedDataParallel runs on GPUs only")
    try:
        from torch.distributed.fsdp import FullyShardedDataParallel
    except Exception as e:  # noqa: BLE001 (any import failure means the same to the user)
        raise field_error("--fsdp", f"this PyTorch cannot import FullyShardedDataParallel ({type(e).__name__}: {e})") from None
    return FullyShardedDataParallel


def wrap(model: nn.Module, world: World, fsdp: bool) -> nn.Module:
    if fsdp:
        return fsdp_class()(model, device_id=world.device)
    if world.distributed:
        ids = [world.device.index] if world.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids, broadcast_buffers=False)
    return model


def full_state(wrapped: nn.Module, fsdp: bool) -> Dict[str, torch.Tensor]:
    """Every parameter, unsharded, on the CPU (on rank 0 under FSDP; every rank otherwise)."""
    if not fsdp:
        inner = wrapped.module if isinstance(wrapped, nn.parallel.DistributedDataParallel) else wrapped
        return {k: v.detach().cpu() for k, v in inner.state_dict().items()}
    from torch.distributed.fsdp import FullStateDictConfig, StateDictType
    cls = fsdp_class()
    with cls.state_dict_type(wrapped, StateDictType.FULL_STATE_DICT, FullStateDictConfig(offload_to_cpu=True, rank0_only=True)):
        return {k: v.detach().cpu() for k, v in wrapped.state_dict().items()}


def all_sum(value: torch.Tensor, world: World) -> torch.Tensor:
    if world.distributed:
        dist.all_reduce(value)
    return value


def load_optimizer_state(wrapped: nn.Module, optimizer: torch.optim.Optimizer, by_name: Dict[str, Dict[str, Any]]) -> None:
    """Under FSDP: a full state keyed by parameter name, sharded onto this rank's flat parameter."""
    from torch.distributed.fsdp import OptimStateKeyType
    cls = fsdp_class()
    groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": list(by_name)} for g in optimizer.param_groups]
    full = {"state": by_name, "param_groups": groups}
    keyed = cls.rekey_optim_state_dict(full, OptimStateKeyType.PARAM_ID, wrapped)
    optimizer.load_state_dict(cls.shard_full_optim_state_dict(keyed, wrapped))


def gather_optimizer_state(wrapped: nn.Module, optimizer: torch.optim.Optimizer) -> Dict[str, Dict[str, Any]]:
    """Under FSDP: every parameter's optimizer state by name, on rank 0 (empty elsewhere)."""
    from torch.distributed.fsdp import OptimStateKeyType
    cls = fsdp_class()
    full = cls.full_optim_state_dict(wrapped, optimizer)
    if not full:
        return {}
    return cls.rekey_optim_state_dict(full, OptimStateKeyType.PARAM_NAME, wrapped)["state"]
