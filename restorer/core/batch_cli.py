"""``restorer colorize`` and ``restorer report merge``: argument checks and messages around the batch loop.

The work is :func:`restorer.core.batch.colorize_files`; this module only turns a command line into a call
and the result into exit codes: 0 all done (skips count), 1 some files failed, 2 usage error, 130
interrupted by Ctrl-C (after printing the summary so far; the report is up to date).
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from restorer.core.atomic import TEMP_PREFIX
from restorer.core.batch import colorize_files, drop_own_outputs, find_images
from restorer.core.batch_report import REPORT_CSV, BatchReport, merge_reports, shard_stem, write_merged
from restorer.core.color import MAX_STRENGTH
from restorer.core.io import SUPPORTED_EXTENSIONS
from restorer.core.shard import ShardError, parse_shard
from restorer.core.sidecar import hints_source


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _check_out_dir(out_dir: Path) -> str | None:
    """Create ``out_dir`` and prove we can write there; returns a one-line problem or None."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir, prefix=TEMP_PREFIX):
            pass
    except PermissionError:
        return f"cannot write to {out_dir}: permission denied"
    except (FileExistsError, NotADirectoryError):
        return f"cannot write to {out_dir}: a file is in the way"
    except OSError as e:
        return f"cannot write to {out_dir}: {e.strerror or e}"
    return None


def _usage_problem(args: Any, out_dir: Path, inputs: list[Path]) -> str | None:
    if out_dir.exists() and not out_dir.is_dir():
        return f"the output folder {out_dir} is an existing file (give a folder with -o)"
    if not 1 <= args.quality <= 100:
        return f"--quality must be between 1 and 100, not {args.quality}"
    if args.max_pixels <= 0:
        return "--max-pixels must be positive"
    if not 0 <= args.strength <= MAX_STRENGTH * 100:
        return f"--strength must be a percentage between 0 and {MAX_STRENGTH * 100:g}, not {args.strength:g}"
    if getattr(args, "engine", "local") != "local" or getattr(args, "address", None):
        from restorer.core.ray_engine import usage_problem

        return usage_problem(args.engine, args.address, getattr(args, "shard", None))
    return None


def _variation_problem(args: Any) -> str | None:
    """Why ``--variation K`` cannot be used (one line), or None."""
    k = getattr(args, "variation", None)
    if not k:
        return None
    from restorer.core.sidecar import variation_problem

    problem = "choose 0 (the model's own colouring) or an alternative from 1" if k < 0 else variation_problem(k)
    if problem:
        return f"--variation {k}: {problem}"
    if getattr(args, "engine", "local") != "local":
        return "--variation works with the local engine only"
    return None


def _with_variation(hints_for: Any, k: int | None) -> Any:
    """``hints_for`` plus the chosen variation as the base of every photo; None (not given): unchanged, so a
    sidecar's choice stands; an explicit 0 overrides a sidecar's choice with the model's own colouring."""
    if k is None:
        return hints_for
    from restorer.core.variations import Variation

    return lambda photo: [*(hints_for(photo) or []), Variation(k)]


def _load(args: Any) -> Any:
    """The model, loaded once for the whole batch; a one-line message (str) when it cannot be."""
    from restorer.core.models import ModelError, load_model

    try:
        # A Ray run's driver only checks the model: its workers load it on their own devices.
        return load_model(args.model, device=args.device if getattr(args, "engine", "local") == "local" else "cpu")
    except ModelError as e:
        return str(e)
    except (RuntimeError, ValueError, OSError) as e:  # e.g. --device cuda without a GPU
        return f"cannot load model {args.model!r}: {' '.join(str(e).split())}"


@contextlib.contextmanager
def _objects_for_life() -> Iterator[None]:
    """Importing torch and building the model make about a million objects that live as long as the process.
    The cyclic collector would walk them all several times while they are made and again at exit: 0.6 s of CPU
    of the command's start-up on this project's machine (docs/experiments.md). Collect nothing while they are
    made, then take them out of the collector's sight for good (``gc.freeze``; acyclic garbage is still freed
    as usual, and photos' objects made later are collected as before)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def run_cli(args: Any) -> int:
    """``restorer colorize IN... -o OUT [--shard I/N|auto]``."""
    out_dir = Path(args.out)
    inputs = [Path(p) for p in args.inputs]
    problem = _usage_problem(args, out_dir, inputs) or _variation_problem(args)
    shard = None
    if problem is None and getattr(args, "shard", None):
        try:
            shard = parse_shard(args.shard)
        except ShardError as e:
            problem = str(e)
    if problem:
        _err(problem)
        return 2
    missing = [p for p in inputs if not os.path.lexists(p)]
    if len(missing) == len(inputs):
        for p in missing:
            _err(f"{p}: no such file or folder")
        return 2
    items = drop_own_outputs(find_images(inputs, exclude=[out_dir]), out_dir, suffix=args.suffix, fmt=args.fmt)
    if not items:
        _err(f"no supported images found in {', '.join(str(p) for p in inputs)} "
             f"(looked for {', '.join(sorted(SUPPORTED_EXTENSIONS))})")
        return 2
    if getattr(args, "hints", None) and (len(items) != 1 or not Path(args.hints).is_file()):
        _err(f"--hints {args.hints}: " + ("needs exactly one input photo" if len(items) != 1 else "no such file"))
        return 2
    with _objects_for_life():
        model = _load(args)
    if isinstance(model, str):
        _err(model)
        return 2
    problem = _check_out_dir(out_dir)
    if problem:
        _err(problem)
        return 2
    try:
        report = _run_with_bar(args, items, out_dir, model, shard)
    except ConnectionError as e:  # the Ray engine's cluster could not be started or reached
        _err(str(e))
        return 2
    if report.stale_removed:
        print(f"removed {report.stale_removed} temporary file(s) an interrupted run had left")
    print(report.summary() + (f" (shard {shard[0]} of {shard[1]})" if shard else ""))
    print(f"report: {report.json_path} and {report.csv_path.name}")
    if report.interrupted:
        print("interrupted (Ctrl-C): run the same command again to finish; done photos are skipped")
        return 130
    return 0 if report.ok else 1


def _run_with_bar(args: Any, items: list, out_dir: Path, model: Any, shard: tuple[int, int] | None) -> BatchReport:
    from tqdm import tqdm

    # tqdm disables itself when stderr is not a terminal (logs, pipes, tests).
    with tqdm(total=len(items) if shard is None else None, unit="photo", file=sys.stderr, disable=None,
              dynamic_ncols=True) as bar:
        def progress(done: float, total: int, current: Path | None) -> None:
            if bar.total != total:
                bar.total = total
            whole = int(done)
            if whole > bar.n:
                bar.update(whole - bar.n)
            if current is not None:
                bar.set_postfix_str(current.name, refresh=False)

        def on_failure(src: Path, reason: str) -> None:
            tqdm.write(f"error: {src}: {reason}", file=sys.stderr)

        if getattr(args, "engine", "local") == "ray":
            from restorer.core.ray_engine import colorize_with_ray

            return colorize_with_ray(items, out_dir, args.model, model.card.name, address=args.address,
                                     device=args.device, overwrite=args.overwrite, fmt=args.fmt, quality=args.quality,
                                     suffix=args.suffix, strength=args.strength / 100.0, max_pixels=args.max_pixels,
                                     hints=getattr(args, "hints", None), no_hints=getattr(args, "no_hints", False),
                                     progress=progress, on_failure=on_failure,
                                     on_warning=lambda m: tqdm.write(f"warning: {m}", file=sys.stderr))
        return colorize_files(items, out_dir, model, overwrite=args.overwrite, fmt=args.fmt, quality=args.quality,
                              suffix=args.suffix, max_pixels=args.max_pixels, progress=progress,
                              on_failure=on_failure, strength=args.strength / 100.0, shard=shard,
                              report_stem=shard_stem(*shard) if shard else "report",
                              hints_for=_with_variation(hints_source(
                                  getattr(args, "hints", None), getattr(args, "no_hints", False),
                                  lambda m: tqdm.write(f"warning: {m}", file=sys.stderr)), getattr(args, "variation", None)))


def run_report_cli(args: Any) -> int:
    """``restorer report merge OUT``: join the shards' reports; 0 complete, 1 photos missing or failed, 2 usage."""
    out_dir = Path(args.out)
    if not out_dir.is_dir():
        _err(f"{out_dir}: not a folder")
        return 2
    merged = merge_reports(out_dir)
    if not merged.shards_found and not merged.problems:
        _err(f"no shard reports (report-I-of-N.json) in {out_dir}")
        return 2
    for p in merged.problems:
        _err(p)
    path = write_merged(merged)
    counts = {s: sum(r["state"] == s for r in merged.rows) for s in ("done", "skipped", "failed")}
    print(f"{len(merged.shards_found)} shard report(s): {counts['done']} colourised, {counts['skipped']} skipped "
          f"(exists), {counts['failed']} failed -> {path} and {REPORT_CSV}")
    for shard in merged.missing_shards:
        print(f"missing: shard {shard} has no report (not started, or a different N)")
    for src in merged.pending:
        print(f"missing: {src} (its shard has not finished it)")
    for row in merged.failed:
        print(f"failed: {row['input']}: {row['reason']}")
    return 0 if merged.complete else 1
