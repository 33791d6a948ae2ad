"""``restorer colorize --engine ray``: the batch's photos colourised by a pool of Ray actors, on a cluster or here.

Everything but the colourising is the local batch's own (:func:`restorer.core.batch.start_batch`): the output
names, what is skipped, the inputs never overwritten, the folder lock and the report, rewritten as results come
in and kept in input order. Only the photos that need work go to Ray Data, as paths: ``map_batches`` with a
callable class, so each actor loads the model once, then reads, colourises and writes its photos through the
same writer (:func:`restorer.core.batch.write_output`, atomic). Every Ray worker must therefore see the input
and output folders at the same paths (a shared filesystem on a cluster) and have Restorer and the model
installed. With no address a private Ray instance is started on this machine (offline, no dashboard) and shut
down afterwards.

Ray is an optional extra (``pip install 'restorer[cluster]'``) and only this module imports it.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from restorer.core.batch import (
    ProgressFn,
    claimed_folders,
    failure_text,
    start_batch,
    write_output,
)
from restorer.core.batch_report import BatchReport
from restorer.core.io import DEFAULT_MAX_PIXELS, read_image

RAY_MISSING = "--engine ray needs Ray, which is not installed: pip install 'restorer[cluster]'"
#: Torch threads per actor when the workers have no GPU: the split docs/cluster.md recommends for shards.
CPUS_PER_WORKER = 2
#: A private instance's shared-memory store: only paths and report rows pass through it, never pixels.
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024
#: Blocks are what Ray hands an actor at a time: one per photo balances best, but a block costs the
#: scheduler something, so a huge batch goes in at most this many (still many per actor).
MAX_BLOCKS = 2000
#: Environment a worker needs to find the same models as the command line (forwarded when set).
FORWARDED_ENV = ("RESTORER_USER_MODELS",)
#: Ray itself retries an unreachable head for minutes; a plain TCP connect answers in seconds.
CONNECT_TIMEOUT_S = 10.0


class RayEngineError(ConnectionError):
    """Ray could not be started or reached, or its workers failed as a whole: a one-line message."""


def usage_problem(engine: str, address: str | None, shard: str | None) -> str | None:
    """A one-line problem with ``--engine``/``--address``/``--shard`` (without importing Ray), or None."""
    if engine != "ray":
        return "--address goes with --engine ray" if address else None
    if shard:
        return "--shard and --engine ray do not go together: Ray spreads the photos over the cluster itself"
    if importlib.util.find_spec("ray") is None:
        return RAY_MISSING
    return None


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - the [data] part of the extra
    except ImportError as e:
        raise RayEngineError(f"{RAY_MISSING} ({e})") from None
    return ray


class PhotoWorker:
    """One Ray actor: loads the model once, then colourises and writes the photos of each batch it is given."""

    def __init__(self, model: str, device: str, threads: int | None, options: dict[str, Any]) -> None:
        import torch

        from restorer.core.models import load_model
        from restorer.core.sidecar import hints_source

        self.model = load_model(model, device=device)
        if threads:  # after load_model: choosing the CPU device sets torch to all of the node's cores
            torch.set_num_threads(threads)
        self.options = options
        self.warnings: list[str] = []
        self.hints_for = hints_source(options["hints"], options["no_hints"], self.warnings.append)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"index": [], "state": [], "reason": [], "seconds": [], "warnings": []}
        for index, src, dst, replace in zip(batch["index"], batch["src"], batch["out"], batch["replace"]):
            state, reason, seconds = self.one(Path(str(src)), Path(str(dst)), bool(replace))
            for key, value in (("index", int(index)), ("state", state), ("reason", reason),
                               ("seconds", seconds), ("warnings", "\n".join(self.warnings))):
                out[key].append(value)
            self.warnings.clear()
        return out

    def one(self, src: Path, dst: Path, replace: bool) -> tuple[str, str, float]:
        """(state, reason, seconds) of one photo, exactly as the local loop reads, colourises and writes it."""
        from restorer.core import engine

        o = self.options
        t0 = time.perf_counter()
        try:
            img = read_image(src, max_pixels=o["max_pixels"])
            hints = self.hints_for(src)
            result = engine.colorize(img.pixels, self.model, hints, strength=o["strength"], in_place=True)
            notes = write_output(dst, result, img, replace=replace, model_name=self.model.card.name,
                                 strength=o["strength"], n_hints=len(hints or ()), fmt=o["fmt"],
                                 quality=o["quality"])
        except Exception as e:  # noqa: BLE001 - one broken file (or bug) must not sink the whole batch
            return "failed", failure_text(e, src), time.perf_counter() - t0
        return "done", notes, time.perf_counter() - t0


def _connect(ray: Any, address: str | None) -> bool:
    """Join the cluster at ``address``, or start a private local instance; True when this call started Ray."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # offline: nothing is reported anywhere
    # Ray's own notices (its C++ core's, Ray Data's execution plan) would bury the photo bar; failures still come
    # back as exceptions, and the session's logs under /tmp/ray keep everything.
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    if ray.is_initialized():
        return False
    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, logging_level="error",
                                  runtime_env={"env_vars": env} if env else None)
    if address is None:
        kwargs.update(address="local", num_cpus=os.cpu_count() or 1, object_store_memory=LOCAL_OBJECT_STORE_BYTES)
    else:
        _check_reachable(address)
        kwargs["address"] = address
    try:
        ray.init(**kwargs)
    except Exception as e:  # noqa: BLE001 - Ray raises many kinds (ConnectionError, RuntimeError, ValueError)
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise RayEngineError(f"cannot start or reach {where}: {' '.join(str(e).split())[:300]}") from None
    return True


def _check_reachable(address: str) -> None:
    """Refuse a ``host:port`` head that does not accept connections (``auto`` and ``ray://`` are Ray's to try)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise RayEngineError(f"cannot reach the Ray cluster at {address}: {e.strerror or e} "
                             f"(is `ray start --head` running there?)") from None


def pool_shape(resources: dict[str, float], device: str) -> tuple[int, dict[str, float], int | None]:
    """(actors, per-actor resources, torch threads) for the cluster's ``resources``: one actor per GPU when
    there are GPUs (and the device allows them), else one per ``CPUS_PER_WORKER`` cores."""
    gpus, cpus = int(resources.get("GPU", 0)), max(1, int(resources.get("CPU", 1)))
    if gpus > 0 and device != "cpu":
        return gpus, {"num_gpus": 1, "num_cpus": 1}, None
    per = min(CPUS_PER_WORKER, cpus)
    return max(1, cpus // per), {"num_cpus": per}, per


def colorize_with_ray(items: Sequence[tuple[Path, Path]], out_dir: str | os.PathLike[str], model: str,
                      model_name: str, *, address: str | None = None, device: str = "auto",
                      overwrite: bool = False, fmt: str | None = None, quality: int = 95, suffix: str = "_colour",
                      strength: float = 1.0, max_pixels: int = DEFAULT_MAX_PIXELS, hints: str | None = None,
                      no_hints: bool = False, progress: ProgressFn | None = None,
                      on_failure: Callable[[Path, str], None] | None = None,
                      on_warning: Callable[[str], None] | None = None) -> BatchReport:
    """Colourise ``items`` into ``out_dir`` on Ray, named and reported exactly as ``colorize_files`` does.

    ``model`` is what the workers load (a name or card path), ``model_name`` the card's name for the report.
    ``hints``/``no_hints`` are the command line's (a hints file for the single photo, or no sidecars).
    Ctrl-C ends the batch with ``interrupted=True`` and the report so far. Raises :class:`RayEngineError`
    when Ray cannot be started or reached, or its workers cannot start.
    """
    run = start_batch(items, out_dir, model_name, overwrite=overwrite, fmt=fmt, suffix=suffix, strength=strength,
                      on_failure=on_failure)
    options = dict(fmt=fmt, quality=quality, strength=strength, max_pixels=max_pixels, hints=hints,
                   no_hints=no_hints)
    ray = _import_ray()
    with claimed_folders(run):
        started = False
        try:
            started = _connect(ray, address)
            _drive(ray, run, model, device, options, progress, on_warning)
        except KeyboardInterrupt:
            run.report.interrupted = run.report.cancelled = True
        finally:
            run.writer.flush()
            if started:
                ray.shutdown()
    if progress is not None and not run.report.cancelled:
        progress(len(run.tasks), len(run.tasks), None)
    return run.report


def _drive(ray: Any, run: Any, model: str, device: str, options: dict[str, Any],
           progress: ProgressFn | None, on_warning: Callable[[str], None] | None) -> None:
    """Send the photos that need work to the actor pool; record every result in input order as it arrives."""
    tasks = run.tasks
    work = [i for i, t in enumerate(tasks) if t.state == "work"]
    ready: dict[int, tuple[str, str, float]] = {}
    position, arrived, seen_warnings = 0, 0, set()

    def record_ready() -> None:  # rows stay in input order, as the local engine writes them
        nonlocal position
        while position < len(tasks) and (tasks[position].state != "work" or position in ready):
            t = tasks[position]
            state, reason, seconds = ready.pop(position) if t.state == "work" else (t.state, t.reason, 0.0)
            run.record(t, state, reason, seconds)
            position += 1

    record_ready()  # the skipped and refused photos before the first one with work
    if progress is not None:
        progress(len(tasks) - len(work), len(tasks), None)
    if not work:
        return
    actors, resources, threads = pool_shape(ray.cluster_resources(), device)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # the command line's own bar counts photos
    ds = ray.data.from_items(
        [{"index": i, "src": str(tasks[i].src), "out": str(tasks[i].out), "replace": tasks[i].replace}
         for i in work], override_num_blocks=min(len(work), max(MAX_BLOCKS, 4 * actors)))
    ds = ds.map_batches(PhotoWorker, batch_size=1, batch_format="numpy",
                        compute=ray.data.ActorPoolStrategy(size=min(actors, len(work))),
                        fn_constructor_kwargs=dict(model=model, device=device, threads=threads, options=options),
                        **resources)
    try:
        for row in ds.iter_rows():
            i = int(row["index"])
            ready[i] = (str(row["state"]), str(row["reason"]), float(row["seconds"]))
            for w in filter(None, str(row["warnings"]).split("\n")):
                if w not in seen_warnings and on_warning is not None:
                    seen_warnings.add(w)
                    on_warning(w)
            arrived += 1
            if progress is not None:
                progress(len(tasks) - len(work) + arrived, len(tasks), tasks[i].src)
            record_ready()
    except ray.exceptions.RayError as e:
        first = next((line for line in str(e).splitlines() if line.strip()), type(e).__name__)
        raise RayEngineError(f"the Ray workers failed: {first.strip()[:300]}") from None
