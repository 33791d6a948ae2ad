"""Batch colourisation: find photos, plan output names, colourise file by file, report; ``restorer colorize``.

One bad file never stops a batch: every per-file problem becomes a line in :class:`BatchReport.failed` and
the loop carries on. Inputs are never written to: an output that would land on an input is refused here and,
again, by :func:`restorer.core.imageio.write_image`.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restorer.core.color import MAX_STRENGTH, check_strength
from restorer.core.imageio import (
    DEFAULT_MAX_PIXELS,
    FORMAT_EXTENSION,
    SUPPORTED_EXTENSIONS,
    TEMP_PREFIX,
    ImageError,
    format_for,
    is_supported,
    read_image,
    write_image,
)

ProgressFn = Callable[[float, int, "Path | None"], None]
CancelFn = Callable[[], bool]
FailureFn = Callable[[Path, str], None]


REPORT_JSON, REPORT_CSV = "report.json", "report.csv"
REPORT_FIELDS = ("input", "output", "state", "reason", "seconds", "model", "strength")
REPORT_EVERY_S = 1.0  # rewrite the report at most this often (and always at the end): a killed batch keeps one


@dataclass
class BatchReport:
    """What a batch did. ``done``/``skipped`` hold (input, output) pairs, ``failed`` (input, one-line reason)."""

    out_dir: Path
    done: list[tuple[Path, Path]] = field(default_factory=list)
    skipped: list[tuple[Path, Path]] = field(default_factory=list)  # the output already existed
    failed: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False
    interrupted: bool = False  # Ctrl-C: the CLI prints the summary so far and exits 130
    #: One row per input handled, in order: input, output, state (done | skipped | failed), reason, seconds,
    #: model, strength. This is what report.json / report.csv hold.
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def write(self) -> None:
        """``report.json`` and ``report.csv`` in the output folder, each written atomically."""
        import csv
        import io
        import json

        from restorer.core.atomic import write_text

        counts = {"done": len(self.done), "skipped": len(self.skipped), "failed": len(self.failed)}
        write_text(self.out_dir / REPORT_JSON, json.dumps(
            {"format": "restorer-batch-report", "version": 1, "out_dir": str(self.out_dir), "counts": counts,
             "cancelled": self.cancelled, "interrupted": self.interrupted, "photos": self.rows},
            indent=1, ensure_ascii=False) + "\n")
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=REPORT_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(self.rows)
        write_text(self.out_dir / REPORT_CSV, buf.getvalue())

    def summary(self) -> str:
        text = (f"{len(self.done)} colourised, {len(self.skipped)} skipped (exists), "
                f"{len(self.failed)} failed -> {self.out_dir}")
        return text + (" (cancelled)" if self.cancelled else "")


# ------------------------------------------------------------------------------------------ discovery
def _is_hidden(name: str) -> bool:
    # Dot-files cover editor/OS clutter (.DS_Store, ._IMG.jpg) and our own .restorer-* temp files.
    return name.startswith(".") or name.startswith(TEMP_PREFIX)


def _key(p: Path) -> str:
    """Comparable identity of a path (resolved, case-folded where the OS is case-insensitive)."""
    return os.path.normcase(os.path.realpath(p))


def find_images(inputs: Iterable[str | os.PathLike[str]], *,
                exclude: Iterable[str | os.PathLike[str]] = ()) -> list[tuple[Path, Path]]:
    """Expand files and folders into ``(path, relative_path)`` items, in a stable order.

    A file gives ``(file, Path(file.name))``, even with an unsupported extension or when missing: naming a
    file is a request, and the batch reports why it could not be done. A folder is searched recursively
    (symlinked folders are not followed, so there are no loops), sorted by relative path, keeping supported
    images only and skipping hidden files and folders, Restorer's temporary files and any folder in
    ``exclude`` (the output folder, when it lies inside an input folder, so reruns do not colourise their
    own outputs). The relative path lets outputs mirror the subfolders. Duplicates are listed once.
    """
    excluded = {_key(Path(e)) for e in exclude}
    items: list[tuple[Path, Path]] = []
    seen: set[str] = set()

    def add(path: Path, rel: Path) -> None:
        k = _key(path)
        if k not in seen:
            seen.add(k)
            items.append((path, rel))

    for raw in inputs:
        root = Path(raw)
        if not root.is_dir():
            add(root, Path(root.name))
            continue
        found: list[tuple[Path, Path]] = []
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames
                                 if not _is_hidden(d) and _key(here / d) not in excluded)
            for f in filenames:
                if _is_hidden(f) or not is_supported(f):
                    continue
                p = here / f
                found.append((p, p.relative_to(root)))
        found.sort(key=lambda item: item[1].as_posix())
        for p, rel in found:
            add(p, rel)
    return items


def output_path_for(src: str | os.PathLike[str], rel: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                    suffix: str = "_colour", fmt: str | None = None) -> Path:
    """``out_dir / rel's folder / <stem><suffix><ext>``; ext from ``fmt`` or else the source's (lower-case)."""
    rel = Path(rel)
    ext = FORMAT_EXTENSION[format_for(src, fmt)] if fmt else Path(src).suffix.lower()
    return Path(out_dir) / rel.parent / f"{rel.stem}{suffix}{ext}"


def plan_outputs(items: Sequence[tuple[Path, Path]], out_dir: str | os.PathLike[str], *,
                 suffix: str = "_colour", fmt: str | None = None) -> list[tuple[Path, Path]]:
    """Pair every input with its output path; outputs that would clash get ``-2``, ``-3``... appended.

    Clashes happen when two inputs share a relative name (``a/x.jpg`` and ``b/x.jpg`` named on the command
    line) or when ``fmt`` maps ``x.jpg`` and ``x.png`` to the same ``x_colour.png``. Numbering follows the
    (stable) input order, so a rerun plans the same names and can skip what is already done.
    """
    taken: set[str] = set()
    plan = []
    for src, rel in items:
        out = output_path_for(src, rel, out_dir, suffix, fmt)
        n = 1
        candidate = out
        while os.path.normcase(str(candidate)).casefold() in taken:
            n += 1
            candidate = out.with_name(f"{out.stem}-{n}{out.suffix}")
        taken.add(os.path.normcase(str(candidate)).casefold())
        plan.append((Path(src), candidate))
    return plan


def drop_own_outputs(items: Sequence[tuple[Path, Path]], out_dir: str | os.PathLike[str], *,
                     suffix: str = "_colour", fmt: str | None = None) -> list[tuple[Path, Path]]:
    """Remove items that are the planned output of another item.

    With ``-o`` pointing into the input folder (``restorer colorize scans -o scans``), a rerun would find
    ``x_colour.jpg`` next to ``x.jpg`` and colourise it again as ``x_colour_colour.jpg``; this prevents it.
    """
    outputs = {_key(out) for _, out in plan_outputs(items, out_dir, suffix=suffix, fmt=fmt)}
    return [(src, rel) for src, rel in items if _key(src) not in outputs]


# --------------------------------------------------------------------------------------------- running
def _reason(src: Path, message: str) -> str:
    """ImageError messages start with the file's name; the report keeps the path separately."""
    prefix = f"{src.name}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def colorize_files(items: Sequence[tuple[Path, Path]], out_dir: str | os.PathLike[str], model: Any, *,
                   hints: list | None = None, overwrite: bool = False, fmt: str | None = None,
                   quality: int = 95, suffix: str = "_colour", max_pixels: int = DEFAULT_MAX_PIXELS,
                   progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                   on_failure: FailureFn | None = None, strength: float = 1.0,
                   hints_for: Callable[[Path], list | None] | None = None) -> BatchReport:
    """Colourise ``items`` (from :func:`find_images`) into ``out_dir``; never raises for a single bad file.

    Each file is read, colourised with ``restorer.core.engine.colorize`` and written with its metadata
    (:func:`write_image`). Outputs that exist are skipped unless ``overwrite``; an output path equal to any
    input is refused. Per-file problems go to ``report.failed`` (and ``on_failure(path, reason)``);
    unexpected exceptions are reported as ``internal error: <type>: <message>``. ``progress(done, total,
    current)`` is called before each file and during it (``done`` is then fractional, from the engine's
    progress) and finally with ``(total, total, None)``. ``cancel()`` is checked between files and by the
    engine; a cancelled batch returns the report so far with ``cancelled=True``. ``strength`` scales the
    predicted colour (``engine.colorize``); a bad value raises ValueError before any file is touched.
    ``hints_for(src)``, when given, supplies each photo's own hints (the app's per-photo hints) instead of
    ``hints``.
    """
    from restorer.core import engine  # imports torch: only when there is work to do

    check_strength(strength)

    out_dir = Path(out_dir)
    report = BatchReport(out_dir=out_dir)
    plan = plan_outputs(items, out_dir, suffix=suffix, fmt=fmt)
    inputs = {_key(src) for src, _ in plan}
    total = len(plan)
    model_name = getattr(getattr(model, "card", None), "name", None)

    last_write = [0.0]

    def record(src: Path, out: Path | None, state: str, reason: str = "", seconds: float = 0.0) -> None:
        report.rows.append({"input": str(src), "output": str(out) if out is not None else "", "state": state,
                            "reason": reason, "seconds": round(seconds, 3), "model": model_name or "",
                            "strength": strength})
        if time.monotonic() - last_write[0] >= REPORT_EVERY_S:
            _write_report(report)
            last_write[0] = time.monotonic()

    def fail(src: Path, reason: str, seconds: float = 0.0) -> None:
        report.failed.append((src, reason))
        record(src, outputs.get(src), "failed", reason, seconds)
        if on_failure is not None:
            on_failure(src, reason)

    outputs = dict(plan)
    try:  # the report is rewritten as the batch goes and once more however it ends
        for i, (src, out) in enumerate(plan):
            if cancel is not None and cancel():
                report.cancelled = True
                break
            if progress is not None:
                progress(i, total, src)
            if src.suffix.lower() not in SUPPORTED_EXTENSIONS and src.exists() and not src.is_dir():
                fail(src, f"unsupported file type '{src.suffix or 'no extension'}' "
                          f"(supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))})")
                continue
            if _key(out) in inputs:
                fail(src, f"output {out} would overwrite an input photo (choose another --out or --suffix)")
                continue
            if os.path.lexists(out) and not overwrite:
                report.skipped.append((src, out))
                record(src, out, "skipped", "output exists")
                continue

            def file_progress(fraction: float, _i: int = i, _src: Path = src) -> None:
                if progress is not None:
                    progress(_i + min(max(fraction, 0.0), 1.0), total, _src)

            t0 = time.monotonic()
            try:
                img = read_image(src, max_pixels=max_pixels)
                photo_hints = hints_for(src) if hints_for is not None else hints
                result = engine.colorize(img.pixels, model, photo_hints, progress=file_progress, cancel=cancel,
                                         strength=strength)
                write_image(out, result, source=img, model_name=model_name, fmt=fmt, quality=quality,
                            overwrite=overwrite)
            except engine.Cancelled:
                report.cancelled = True
                break
            except ImageError as e:
                fail(src, _reason(src, str(e)), time.monotonic() - t0)
            except MemoryError:
                fail(src, "not enough memory to colourise this image", time.monotonic() - t0)
            except Exception as e:  # noqa: BLE001 - one broken file (or bug) must not sink the whole batch
                fail(src, " ".join(f"internal error: {type(e).__name__}: {e}".split()), time.monotonic() - t0)
            else:
                report.done.append((src, out))
                record(src, out, "done", seconds=time.monotonic() - t0)
            finally:
                img = result = None  # noqa: F841 - drop this photo's pixels before the next one is read
    except KeyboardInterrupt:
        report.interrupted = report.cancelled = True
    finally:
        _write_report(report)
    if progress is not None and not report.cancelled:
        progress(total, total, None)
    return report


def _write_report(report: BatchReport) -> None:
    try:
        report.write()
    except OSError:  # the output folder vanished or filled up: the photos' own failures say so
        pass




# ------------------------------------------------------------------------------------------------ CLI
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


def run_cli(args: Any) -> int:
    """``restorer colorize IN... -o OUT``: 0 all done (skips count), 1 some files failed, 2 usage error,
    130 interrupted by Ctrl-C (after printing the summary so far; report.json/report.csv are up to date)."""
    from tqdm import tqdm

    out_dir = Path(args.out)
    inputs = [Path(p) for p in args.inputs]
    if out_dir.exists() and not out_dir.is_dir():
        _err(f"the output folder {out_dir} is an existing file (give a folder with -o)")
        return 2
    if not 1 <= args.quality <= 100:
        _err(f"--quality must be between 1 and 100, not {args.quality}")
        return 2
    if args.max_pixels <= 0:
        _err("--max-pixels must be positive")
        return 2
    if not 0 <= args.strength <= MAX_STRENGTH * 100:
        _err(f"--strength must be a percentage between 0 and {MAX_STRENGTH * 100:g}, not {args.strength:g}")
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

    from restorer.core.models import ModelError, load_model

    try:
        model = load_model(args.model, device=args.device)
    except ModelError as e:
        _err(str(e))
        return 2
    except (RuntimeError, ValueError, OSError) as e:  # e.g. --device cuda without a GPU
        _err(f"cannot load model {args.model!r}: {' '.join(str(e).split())}")
        return 2
    problem = _check_out_dir(out_dir)
    if problem:
        _err(problem)
        return 2

    # tqdm disables itself when stderr is not a terminal (logs, pipes, tests).
    with tqdm(total=len(items), unit="photo", file=sys.stderr, disable=None, dynamic_ncols=True) as bar:
        def progress(done: float, total: int, current: Path | None) -> None:
            whole = int(done)
            if whole > bar.n:
                bar.update(whole - bar.n)
            if current is not None:
                bar.set_postfix_str(current.name, refresh=False)

        def on_failure(src: Path, reason: str) -> None:
            tqdm.write(f"error: {src}: {reason}", file=sys.stderr)

        report = colorize_files(items, out_dir, model, overwrite=args.overwrite, fmt=args.fmt,
                                quality=args.quality, suffix=args.suffix, max_pixels=args.max_pixels,
                                progress=progress, on_failure=on_failure, strength=args.strength / 100.0)
    print(report.summary())
    print(f"report: {out_dir / REPORT_JSON} and {REPORT_CSV}")
    if report.interrupted:
        print("interrupted (Ctrl-C): run the same command again to finish; done photos are skipped")
        return 130
    return 0 if report.ok else 1
