"""Splitting one batch over N independent processes (cluster job arrays) with no coordination between them.

A photo's shard is a stable hash of its path relative to its input root, so every process computes the same
partition from the same command line, each photo lands in exactly one shard, and adding or removing other
files never moves a photo to another shard (a resumed or extended run redoes nothing twice).
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import PurePath


class ShardError(ValueError):
    """A one-line, user-facing reason why ``--shard`` cannot be used as given."""


def shard_of(rel: str | PurePath, count: int) -> int:
    """Index in ``0..count-1`` of the shard that owns the photo at relative path ``rel``.

    sha1 rather than ``hash()``: Python salts ``hash`` per process, and every process must agree.
    """
    key = PurePath(rel).as_posix().encode("utf-8")
    return int.from_bytes(hashlib.sha1(key).digest()[:8], "big") % count


def parse_shard(text: str, env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``"I/N"`` (0 <= I < N) or ``"auto"``: from a Slurm job array or a Kubernetes indexed Job.

    Slurm: I = ``SLURM_ARRAY_TASK_ID`` - ``SLURM_ARRAY_TASK_MIN`` (arrays may start at 1), N =
    ``SLURM_ARRAY_TASK_COUNT``. Kubernetes: I = ``JOB_COMPLETION_INDEX``, N = ``RESTORER_SHARD_COUNT`` (an
    indexed Job does not tell its pods the completion count; the manifest sets it).
    """
    env = os.environ if env is None else env
    if text == "auto":
        return _from_env(env)
    i_text, sep, n_text = text.partition("/")
    try:
        if not sep:
            raise ValueError
        index, count = int(i_text), int(n_text)
    except ValueError:
        raise ShardError(f"--shard must be I/N (e.g. 0/4) or auto, not {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise ShardError(f"--shard {text}: need N >= 1 and 0 <= I < N")
    return index, count


def _from_env(env: Mapping[str, str]) -> tuple[int, int]:
    def number(name: str) -> int:
        try:
            return int(env[name])
        except ValueError:
            raise ShardError(f"--shard auto: {name}={env[name]!r} is not a number") from None

    if "SLURM_ARRAY_TASK_ID" in env:
        if "SLURM_ARRAY_TASK_COUNT" not in env:
            raise ShardError("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
        index = number("SLURM_ARRAY_TASK_ID") - (number("SLURM_ARRAY_TASK_MIN")
                                                 if "SLURM_ARRAY_TASK_MIN" in env else 0)
        count = number("SLURM_ARRAY_TASK_COUNT")
        source = "Slurm array"
    elif "JOB_COMPLETION_INDEX" in env:
        if "RESTORER_SHARD_COUNT" not in env:
            raise ShardError("--shard auto: JOB_COMPLETION_INDEX is set (Kubernetes indexed Job) but "
                             "RESTORER_SHARD_COUNT is not: set it to the Job's completions in the manifest")
        index, count = number("JOB_COMPLETION_INDEX"), number("RESTORER_SHARD_COUNT")
        source = "Kubernetes indexed Job"
    else:
        raise ShardError("--shard auto: neither a Slurm job array (SLURM_ARRAY_TASK_ID) nor a Kubernetes "
                         "indexed Job (JOB_COMPLETION_INDEX) is set; give --shard I/N")
    if count < 1 or not 0 <= index < count:
        raise ShardError(f"--shard auto: the {source} gives shard {index} of {count}, which is out of range "
                         "(a Slurm array must be contiguous, e.g. --array=0-7)")
    return index, count
