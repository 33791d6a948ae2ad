"""Data-parallel training under ``torchrun``: process group, DDP wrapper, rank batches, agreed step results.

``torchrun --standalone --nproc-per-node K -m restorer train ...`` starts K copies of the trainer; each finds
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` in its environment. Without them (or with ``WORLD_SIZE=1``) nothing here
is used and the trainer is exactly the single-process one.

* ``--batch`` stays the GLOBAL batch: each of K processes trains on ``batch / K`` crops of it, so a run keeps
  its optimisation (and can be resumed) with any K that divides the batch.
* :class:`RankBatches` is the sampler: batch b of the run is crops ``b*G .. b*G+G-1`` of the dataset, exactly
  the single-process loader's batch b, and rank r takes its r-th slice: disjoint, deterministic per rank.
* The generator is wrapped in DistributedDataParallel (gloo on CPU, nccl on CUDA). The discriminator is called
  three times per adversarial step, which DDP's one-forward-one-backward reducer does not allow: its gradients
  are averaged by hand (:meth:`Dist.average_grads`) before its optimiser steps.
* :meth:`Dist.agree` sums each step's losses, duration and the stop request over the ranks, so every rank
  sees the same elapsed time and stops at the same step (a rank that stopped alone would hang the others).
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as tdist

#: Rank 0 validates and writes checkpoints while the others wait in the next step's all-reduce: a validation
#: of a few hundred crops on a CPU takes minutes, far under this.
TIMEOUT = timedelta(minutes=60)


def launched() -> bool:
    """True in a process of a multi-process torchrun launch."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@dataclass
class Dist:
    rank: int
    world: int
    device: torch.device
    stop_agreed: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0

    def per_rank_batch(self, global_batch: int) -> int:
        if global_batch % self.world:
            raise SystemExit(f"error: --batch {global_batch} does not split evenly over {self.world} processes "
                             f"(the batch is the global one: give a multiple of {self.world})")
        return global_batch // self.world

    def wrap(self, net: torch.nn.Module) -> torch.nn.Module:
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(net, device_ids=ids)

    def average_grads(self, params: Iterable[torch.nn.Parameter]) -> None:
        for p in params:
            if p.grad is not None:
                tdist.all_reduce(p.grad)
                p.grad.div_(self.world)

    def agree(self, out: dict[str, float], seconds: float, stop: bool) -> tuple[dict[str, float], float]:
        """The global batch's mean losses and the step's mean duration; ``stop_agreed`` when any rank stops."""
        keys = sorted(out)
        t = torch.tensor([out[k] for k in keys] + [seconds, float(stop)], dtype=torch.float64, device=self.device)
        tdist.all_reduce(t)
        self.stop_agreed = bool(t[-1].item() > 0)
        mean = (t[:-1] / self.world).tolist()
        return dict(zip(keys, mean[:-1])), mean[-1]


def setup(device: torch.device) -> tuple[Dist | None, torch.device]:
    """Join torchrun's process group when launched by it; (None, device) otherwise."""
    if not launched():
        return None, device
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        # torchrun gives each of K processes on a machine its share of the cores here; pick_device has just set
        # torch to all of them, which K processes at once would oversubscribe K times.
        torch.set_num_threads(max(1, int(os.environ["OMP_NUM_THREADS"])))
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not tdist.is_initialized():
        tdist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=TIMEOUT)
    return Dist(rank, world, device), device


def shutdown() -> None:
    """Leave the process group together. Rank 0 validates and exports after the last step while the others are
    already done; a rank that tore its connections down then could abort its process (gloo: "terminate called
    without an active exception", seen in 1 of 8 test runs), and torchrun then kills rank 0 mid-export."""
    if tdist.is_available() and tdist.is_initialized():
        try:
            tdist.barrier()
        finally:
            tdist.destroy_process_group()


class RankBatches:
    """Batch sampler: rank ``rank``'s ``global_batch / world`` indices of each global batch, without end."""

    def __init__(self, global_batch: int, rank: int, world: int) -> None:
        self.global_batch, self.rank, self.per = global_batch, rank, global_batch // world

    def __iter__(self) -> Iterator[list[int]]:
        for b in itertools.count():
            start = b * self.global_batch + self.rank * self.per
            yield list(range(start, start + self.per))
