"""Batch colourisation, the one loop every front end uses: find photos, plan output names, colourise, report.

``restorer colorize``, the app's Save all and batch queue, and ``restorer bench`` all run
:func:`colorize_files`. One bad file never stops a batch: every per-file problem becomes a line in
:class:`BatchReport.failed` and the loop carries on. Inputs are never written to: an output that would land on
an input is refused here and, again, by the image writer. Every output goes through the atomic writer, so a
killed batch leaves whole files or none, and a rerun skips what is done.

While the network works on photo *i*, photo *i+1* is decoded and photo *i-1* brought to full resolution and
encoded on two helper threads (Pillow, OpenCV and torch release the GIL), which hides most of the pixel and
file work behind the network.
"""
from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restorer.core.atomic import TEMP_PREFIX
from restorer.core.batch_report import REPORT_CSV, REPORT_FIELDS, REPORT_JSON, BatchReport, ReportWriter
from restorer.core.color import check_strength
from restorer.core.io import (
    DEFAULT_MAX_PIXELS,
    FORMAT_EXTENSION,
    SUPPORTED_EXTENSIONS,
    ImageError,
    Provenance,
    format_for,
    is_supported,
    output_suffix,
    read_image,
    write_image,
)
from restorer.core.shard import shard_of
from restorer.core.sidecar import is_region_mask

ProgressFn = Callable[[float, int, "Path | None"], None]
CancelFn = Callable[[], bool]
FailureFn = Callable[[Path, str], None]
RowFn = Callable[[dict[str, Any]], None]
#: ``pause`` may be a callable (paused while it returns True) or a ``threading.Event`` (paused while set).
PauseArg = Callable[[], bool] | threading.Event

#: What to do when a planned output already exists: leave it and count the photo as skipped (the default:
#: reruns resume), replace it, or keep it and write the new one as ``<name>-2`` (``-3``...).
SKIP, REPLACE, KEEP_BOTH = "skip", "replace", "keep-both"
ON_EXISTS = (SKIP, REPLACE, KEEP_BOTH)
PAUSE_POLL_S = 0.1
#: A temp file younger than this may be a live write of the app's single-photo Save (not under the batch
#: lock); older ones in a folder no other batch holds are what a killed run left.
TEMP_STALE_S = 2.0
#: Photos larger than this are not decoded ahead, nor finished at full resolution on the writer thread:
#: decoding a 24 MP JPEG briefly takes ~250 MB, which on top of the photo being colourised would raise the
#: batch's peak memory more than it saves time.
PREFETCH_MAX_PIXELS = 16_000_000

__all__ = ["BatchReport", "KEEP_BOTH", "ON_EXISTS", "REPLACE", "REPORT_CSV", "REPORT_FIELDS", "REPORT_JSON",
           "SKIP", "claimed_folders", "colorize_files", "drop_own_outputs", "failure_text", "find_images",
           "output_path_for", "plan_outputs", "run_cli", "start_batch", "write_output"]


# ------------------------------------------------------------------------------------------ discovery
def _is_hidden(name: str) -> bool:
    # Dot-files cover editor/OS clutter (.DS_Store, ._IMG.jpg) and our own temp files (TEMP_PREFIX).
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
            names = set(filenames)
            for f in filenames:
                if _is_hidden(f) or not is_supported(f) or is_region_mask(f, names):
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
    ext = FORMAT_EXTENSION[format_for(src, fmt)] if fmt else output_suffix(src)  # GIF -> .png
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


# ------------------------------------------------------------------------------------- stale temp files
class _FolderLock:
    """An advisory lock on the output folder: every batch writing there holds it shared for its whole run.

    Only a batch that can take it exclusively (no other batch is running there, e.g. other shards of a
    cluster run) removes leftover temp files, so it never deletes another process's file mid-write. Where
    locks are unavailable (Windows, some network filesystems) no cleanup is done: the safe side.
    """

    def __init__(self, folder: Path) -> None:
        try:
            import fcntl

            self._fcntl: Any = fcntl
            self._fd: int | None = os.open(folder, os.O_RDONLY)
        except (ImportError, OSError):
            self._fd = None

    def _flock(self, op: int) -> bool:
        if self._fd is None:
            return False
        try:
            self._fcntl.flock(self._fd, op)
            return True
        except OSError:
            return False

    def try_exclusive(self) -> bool:
        return self._fd is not None and self._flock(self._fcntl.LOCK_EX | self._fcntl.LOCK_NB)

    def shared(self) -> None:
        if self._fd is not None:
            self._flock(self._fcntl.LOCK_SH)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None


def _temp_files(folders: Iterable[Path]) -> Iterator[tuple[str, float]]:
    """(path, mtime) of each of Restorer's temp files (``TEMP_PREFIX``) directly in ``folders``."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            try:
                if e.name.startswith(TEMP_PREFIX) and e.is_file(follow_symlinks=False):
                    yield e.path, e.stat(follow_symlinks=False).st_mtime
            except OSError:  # gone already
                continue


def remove_stale_temps(folders: Iterable[Path], older_than_s: float = TEMP_STALE_S) -> int:
    """Delete Restorer's temp files older than ``older_than_s`` in ``folders`` (not recursive); returns
    how many. Call it only while no other writer can be using these folders."""
    removed = 0
    limit = time.time() - older_than_s
    for path, mtime in list(_temp_files(folders)):
        if mtime < limit:
            try:
                os.unlink(path)
                removed += 1
            except OSError:  # gone already, or not ours to delete
                continue
    return removed


def _youngest_temp(folders: Iterable[Path]) -> float | None:
    """Modification time of the newest Restorer temp file in ``folders``, or None when there is none."""
    return max((mtime for _path, mtime in _temp_files(folders)), default=None)


# --------------------------------------------------------------------------------------------- running
@dataclass
class _Task:
    src: Path
    out: Path
    state: str = "work"  # or "skipped" / "failed", decided before the loop
    reason: str = ""
    replace: bool = False


def _reason(src: Path, message: str) -> str:
    """ImageError messages start with the file's name; the report keeps the path separately."""
    prefix = f"{src.name}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _free_name(out: Path, taken: set[str]) -> Path:
    n = 2
    while True:
        candidate = out.with_name(f"{out.stem}-{n}{out.suffix}")
        if not os.path.lexists(candidate) and _name_key(candidate) not in taken:
            return candidate
        n += 1


def _name_key(p: Path) -> str:
    return os.path.normcase(str(p)).casefold()


def _tasks(plan: list[tuple[Path, Path]], on_exists: str, shard: tuple[int, int] | None,
           rels: dict[Path, Path]) -> list[_Task]:
    """What to do with each photo of this batch (or of this shard), decided up front in input order."""
    inputs = {_key(src) for src, _ in plan}
    taken = {_name_key(out) for _, out in plan}
    tasks = []
    for src, out in plan:
        if shard is not None and shard_of(rels[src], shard[1]) != shard[0]:
            continue
        t = _Task(src, out)
        if src.suffix.lower() not in SUPPORTED_EXTENSIONS and src.exists() and not src.is_dir():
            t.state, t.reason = "failed", (f"unsupported file type '{src.suffix or 'no extension'}' "
                                           f"(supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))})")
        elif _key(out) in inputs:
            t.state, t.reason = "failed", f"output {out} would overwrite an input photo (choose another --out or --suffix)"
        elif os.path.lexists(out):
            if on_exists == SKIP:
                t.state, t.reason = "skipped", "output exists"
            elif on_exists == KEEP_BOTH:
                t.out = _free_name(out, taken)
                taken.add(_name_key(t.out))
            else:
                t.replace = True
        tasks.append(t)
    return tasks


def _paused(pause: PauseArg | None) -> bool:
    if pause is None:
        return False
    return pause.is_set() if isinstance(pause, threading.Event) else bool(pause())


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t0


#: Only photos too big to be decoded ahead are trimmed after: there the peak is what counts. Below, the trim
#: cost 0.05 s of CPU per 3 MP photo (the next photo's buffers are faulted in again), 15 % of the fast model's
#: time per photo (docs/experiments.md).
TRIM_MIN_PIXELS = PREFETCH_MAX_PIXELS


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return None


def _release_freed_memory(pixels: Any) -> None:
    """Hand freed heap pages back to the OS after a large photo's decode or network pass.

    glibc keeps freed blocks below its mmap threshold (up to 32 MB) in the process; the decoder's buffers and
    the network's activations would otherwise still count when the encoder allocates, raising a 24 MP
    photo's peak by ~90 MB (measured: 1.21 -> 1.12 GB). Smaller photos skip it (``TRIM_MIN_PIXELS``).
    """
    trim = _malloc_trim()
    if trim is not None and getattr(pixels, "size", 0) >= 3 * TRIM_MIN_PIXELS:
        trim(0)


def _prefetchable(path: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as im:  # the header only
            w, h = im.size
    except Exception:  # noqa: BLE001 - the real read reports what is wrong with it
        return True
    return w * h <= PREFETCH_MAX_PIXELS


def failure_text(e: BaseException, src: Path) -> str:
    """A photo's one-line failure reason for the report."""
    if isinstance(e, ImageError):
        return _reason(src, str(e))
    if isinstance(e, MemoryError):
        return "not enough memory to colourise this image"
    return " ".join(f"internal error: {type(e).__name__}: {e}".split())


class _Run:
    """State of one :func:`colorize_files` call between the loop's steps: rows, the write in flight."""

    def __init__(self, report: BatchReport, tasks: list[_Task], model_name: str | None, strength: float,
                 on_failure: FailureFn | None, on_result: RowFn | None) -> None:
        self.report, self.writer = report, ReportWriter(report)
        self.model_name, self.strength = model_name or "", strength
        self.on_failure, self.on_result = on_failure, on_result
        self.pending_write: tuple[_Task, float, Future] | None = None
        self.tasks = tasks
        if report.shard is not None:
            report.pending = [str(t.src) for t in tasks]

    def record(self, task: _Task, state: str, reason: str = "", seconds: float = 0.0) -> None:
        self.finish_write()  # the photo before this one first: rows stay in input order
        r = self.report
        if state == "done":
            r.done.append((task.src, task.out))
        elif state == "skipped":
            r.skipped.append((task.src, task.out))
        else:
            r.failed.append((task.src, reason))
            if self.on_failure is not None:
                self.on_failure(task.src, reason)
        row = {"input": str(task.src), "output": str(task.out), "state": state, "reason": reason,
               "seconds": round(seconds, 3), "model": self.model_name, "strength": self.strength}
        r.rows.append(row)
        r.pending_from += 1  # rows come in task order
        if self.on_result is not None:
            self.on_result(row)
        self.writer.maybe_write()

    def finish_write(self) -> None:
        """Wait for the photo being encoded on the writer thread and record how it went."""
        if self.pending_write is None:
            return
        task, seconds, fut = self.pending_write
        try:
            _, write_s = fut.result()
        except Exception as e:  # noqa: BLE001 - one photo's write failure is that photo's row
            self.pending_write = None
            self.record(task, "failed", failure_text(e, task.src), seconds)
        else:
            self.pending_write = None
            self.record(task, "done", task.reason, seconds=seconds + write_s)  # reason: the decoder's notes


def start_batch(items: Sequence[tuple[Path, Path]], out_dir: str | os.PathLike[str], model_name: str | None, *,
                on_exists: str | None = None, overwrite: bool = False, fmt: str | None = None,
                suffix: str = "_colour", strength: float = 1.0, shard: tuple[int, int] | None = None,
                report_stem: str = "report", on_failure: FailureFn | None = None,
                on_result: RowFn | None = None) -> _Run:
    """A batch planned and ready to record: names, skips and the report exactly as :func:`colorize_files` has
    them (which uses it), for any engine that colourises the ``work`` tasks of ``run.tasks`` its own way."""
    check_strength(strength)
    policy = on_exists or (REPLACE if overwrite else SKIP)
    if policy not in ON_EXISTS:
        raise ValueError(f"on_exists must be one of {', '.join(ON_EXISTS)}, not {policy!r}")
    out_dir = Path(out_dir)
    report = BatchReport(out_dir=out_dir, stem=report_stem, shard=shard)
    tasks = _tasks(plan_outputs(items, out_dir, suffix=suffix, fmt=fmt), policy, shard,
                   {Path(src): rel for src, rel in items})
    return _Run(report, tasks, model_name, strength, on_failure, on_result)


def write_output(out: Path, result: Any, img: Any, *, replace: bool, model_name: str | None, strength: float,
                 n_hints: int, fmt: str | None, quality: int) -> str:
    """Write one colourised photo with its source's metadata and the provenance; returns the decoder's notes
    (e.g. only the first page of a multi-page TIFF), the photo's reason in the report."""
    prov = Provenance(model=model_name or None, strength=strength, hints=n_hints)
    write_image(out, result, source=img, provenance=prov, fmt=fmt, quality=quality, overwrite=replace)
    return "; ".join(img.info.get("notes") or ())


def claimed_folders(run: _Run) -> contextlib.AbstractContextManager[None]:
    """The output folders of ``run`` held (see :func:`_claimed_folders`) while it writes."""
    return _claimed_folders(run.report, {run.report.out_dir} | {t.out.parent for t in run.tasks})


@contextlib.contextmanager
def _claimed_folders(report: BatchReport, folders: set[Path]) -> Iterator[None]:
    """Hold the output folder's shared lock while a batch writes; temp files of killed runs are removed
    by whoever gets the lock alone, before and after."""
    try:
        report.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError:  # each photo's write then fails with the reason
        pass
    lock = _FolderLock(report.out_dir)
    if lock.try_exclusive():
        report.stale_removed += remove_stale_temps(folders)
    lock.shared()
    try:
        yield
    finally:
        if lock.try_exclusive():
            report.stale_removed += remove_stale_temps(folders)
            # A rerun started right after a kill can finish before that run's temp file turns stale:
            # wait out its age once rather than leave it behind.
            youngest = _youngest_temp(folders)
            if youngest is not None:
                time.sleep(max(0.0, youngest + TEMP_STALE_S - time.time()) + 0.05)
                report.stale_removed += remove_stale_temps(folders)
        lock.close()


def colorize_files(items: Sequence[tuple[Path, Path]], out_dir: str | os.PathLike[str], model: Any, *,
                   hints: list | None = None, overwrite: bool = False, on_exists: str | None = None,
                   fmt: str | None = None, quality: int = 95, suffix: str = "_colour",
                   max_pixels: int = DEFAULT_MAX_PIXELS, progress: ProgressFn | None = None,
                   cancel: CancelFn | None = None, pause: PauseArg | None = None,
                   on_failure: FailureFn | None = None, on_result: RowFn | None = None, strength: float = 1.0,
                   hints_for: Callable[[Path], list | None] | None = None, shard: tuple[int, int] | None = None,
                   report_stem: str = "report", prefetch: bool = True) -> BatchReport:
    """Colourise ``items`` (from :func:`find_images`) into ``out_dir``; never raises for a single bad file.

    Each file is read, colourised with ``restorer.core.engine.colorize`` and written with its metadata.
    Output names come from :func:`plan_outputs` (subfolders mirrored, clashes numbered ``-2``...).
    ``on_exists`` says what happens to an output that already exists: ``"skip"`` (the default, so a rerun
    resumes), ``"replace"`` or ``"keep-both"`` (the new one becomes ``<name>-2``...); ``overwrite=True`` is
    the older spelling of ``"replace"``. An output path equal to any input is refused. Per-file problems go
    to ``report.failed`` (and ``on_failure(path, reason)``); unexpected exceptions are reported as
    ``internal error: <type>: <message>``. ``on_result(row)`` gets each report row (input, output, state,
    reason, seconds, model, strength) as soon as that photo is finished.

    ``progress(done, total, current)`` is called before each file and during it (``done`` is then
    fractional, from the engine's progress) and finally with ``(total, total, None)``. ``cancel()`` is checked
    between files and by the engine; a cancelled batch returns the report so far with ``cancelled=True``.
    ``pause`` (a callable, or a ``threading.Event``: paused while set) is checked between files; while
    paused the loop waits (the report is up to date) and ``cancel`` still works. ``strength`` scales the
    predicted colour; a bad value raises ValueError before any file is touched. ``hints_for(src)``, when
    given, supplies each photo's own hints instead of ``hints``. ``shard=(i, n)`` handles only the photos
    of shard ``i`` of ``n`` (:func:`restorer.core.shard.shard_of`), named as the whole batch would name them,
    and reports to ``<report_stem>.json``/``.csv`` (default ``report``). Ctrl-C (KeyboardInterrupt) ends the
    batch with ``interrupted=True``. ``prefetch=False`` does everything on the calling thread.
    """
    from restorer.core import engine  # imports torch: only when there is work to do

    run = start_batch(items, out_dir, getattr(getattr(model, "card", None), "name", None), on_exists=on_exists,
                      overwrite=overwrite, fmt=fmt, suffix=suffix, strength=strength, shard=shard,
                      report_stem=report_stem, on_failure=on_failure, on_result=on_result)
    report, tasks = run.report, run.tasks

    def colorize_one(task: _Task, img: Any, index: int) -> Any:
        def file_progress(fraction: float) -> None:
            if progress is not None:
                progress(index + min(max(fraction, 0.0), 1.0), len(tasks), task.src)

        photo_hints = hints_for(task.src) if hints_for is not None else hints
        # In place: the decoded pixels are needed for nothing else (the writer takes only their metadata).
        # finish_later: the full-resolution pass is left to the writer thread, which runs it while the network
        # works on the next photo (big scans keep it here, with its progress, cancel and memory trim).
        return engine.colorize(img.pixels, model, photo_hints, progress=file_progress, cancel=cancel,
                               strength=strength, in_place=True,
                               finish_later=prefetch and img.pixels.size <= 3 * PREFETCH_MAX_PIXELS)

    def write(task: _Task, result: Any, img: Any) -> None:
        if callable(result):  # engine.colorize(finish_later=True)
            result = result()
        photo_hints = hints_for(task.src) if hints_for is not None else hints
        task.reason = write_output(task.out, result, img, replace=task.replace, model_name=run.model_name,
                                   strength=strength, n_hints=len(photo_hints or ()), fmt=fmt, quality=quality)

    with claimed_folders(run):
        try:  # the report is rewritten as the batch goes and once more however it ends
            _loop(run, tasks, colorize_one, lambda src: read_image(src, max_pixels=max_pixels), write,
                  engine.Cancelled, prefetch, cancel, pause, progress)
        except KeyboardInterrupt:
            report.interrupted = report.cancelled = True
            try:
                run.finish_write()  # the photo on the writer thread is complete: say so in the report
            except KeyboardInterrupt:
                pass
        finally:
            run.writer.flush()
    if progress is not None and not report.cancelled:
        progress(len(tasks), len(tasks), None)
    return report


def _wait_while_paused(run: _Run, pause: PauseArg | None, cancel: CancelFn | None) -> None:
    if not _paused(pause):
        return
    run.finish_write()
    run.writer.flush()  # the report is current while the user looks at it
    while _paused(pause) and not (cancel is not None and cancel()):
        time.sleep(PAUSE_POLL_S)


def _loop(run: _Run, tasks: list[_Task], colorize_one: Callable[[_Task, Any, int], Any],
          read: Callable[[Path], Any], write: Callable[[_Task, Any, Any], Path], cancelled_exc: type,
          prefetch: bool, cancel: CancelFn | None, pause: PauseArg | None, progress: ProgressFn | None) -> None:
    """Photo i is colourised here while photo i+1 is read and photo i-1 written on helper threads."""
    reader = ThreadPoolExecutor(1, thread_name_prefix="restorer-read")
    writer = ThreadPoolExecutor(1, thread_name_prefix="restorer-write")
    work = [i for i, t in enumerate(tasks) if t.state == "work"]
    following = dict(zip(work, work[1:]))
    reads: dict[int, Future] = {}
    try:
        for i, task in enumerate(tasks):
            _wait_while_paused(run, pause, cancel)
            if cancel is not None and cancel():
                run.report.cancelled = True
                break
            if progress is not None:
                progress(i, len(tasks), task.src)
            if task.state != "work":
                run.record(task, task.state, task.reason)
                continue
            pending = reads.pop(i, None) or reader.submit(_timed, read, task.src)
            if prefetch and i in following and _prefetchable(tasks[following[i]].src):
                reads[following[i]] = reader.submit(_timed, read, tasks[following[i]].src)
            t0 = time.perf_counter()
            try:
                img, read_s = pending.result()
                _release_freed_memory(img.pixels)
                t0 = time.perf_counter()
                result = colorize_one(task, img, i)
                _release_freed_memory(img.pixels)
            except cancelled_exc:
                run.report.cancelled = True
                break
            except Exception as e:  # noqa: BLE001 - one broken file (or bug) must not sink the whole batch
                run.record(task, "failed", failure_text(e, task.src), time.perf_counter() - t0)
                continue
            seconds = read_s + time.perf_counter() - t0
            run.finish_write()
            run.pending_write = (task, seconds, writer.submit(_timed, write, task, result, img))
            if not prefetch:
                run.finish_write()
            img = result = pending = None  # noqa: F841 - drop this photo's pixels before the next one is read
        run.finish_write()
    finally:
        reader.shutdown(wait=False, cancel_futures=True)
        writer.shutdown(wait=True)  # a photo being encoded is finished, never abandoned half-way


def run_cli(args: Any) -> int:
    """``restorer colorize`` (in :mod:`restorer.core.batch_cli`, which this module must not import at load)."""
    from restorer.core.batch_cli import run_cli as run

    return run(args)
