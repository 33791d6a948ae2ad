"""The per-batch report (``report.json`` + ``report.csv``): what each photo became, kept current as a batch runs.

One row per photo handled: input, output, state (done | skipped | failed), one-line reason, seconds, model,
colour strength. Both files are rewritten atomically (temp file + rename), so a killed batch leaves the last
complete report, never half of one. A shard of a cluster run (``--shard I/N``) writes ``report-I-of-N.*``
and lists the photos it has still to do under ``pending``; :func:`merge_reports` joins the shards' reports.
"""
from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restorer.core.atomic import write_text

REPORT_STEM = "report"
REPORT_JSON, REPORT_CSV = f"{REPORT_STEM}.json", f"{REPORT_STEM}.csv"
REPORT_FIELDS = ("input", "output", "state", "reason", "seconds", "model", "strength")
REPORT_FORMAT = "restorer-batch-report"
REPORT_EVERY_S = 1.0  # rewrite the report at most this often (and always at the end): a killed batch keeps one
#: A rewrite may cost at most this share of the batch's time: a 100,000-photo report is megabytes, and
#: rewriting it every second would make a long batch quadratic.
REPORT_MAX_SHARE = 0.05
_SHARD_REPORT = re.compile(r"^report-(\d+)-of-(\d+)\.json$")


def shard_stem(index: int, count: int) -> str:
    """``report-I-of-N``: each shard of a cluster run keeps its own report beside the others'."""
    return f"{REPORT_STEM}-{index}-of-{count}"


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
    stem: str = REPORT_STEM  # report-I-of-N for a shard
    shard: tuple[int, int] | None = None
    #: Inputs of this batch not handled yet (a shard's report lists them so a merge can tell what is missing).
    pending: list[str] = field(default_factory=list)
    pending_from: int = 0  # pending[:pending_from] are handled (a counter: popping a long list is quadratic)
    #: Temp files a killed earlier run left in the output folders, removed by this batch.
    stale_removed: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def json_path(self) -> Path:
        return self.out_dir / f"{self.stem}.json"

    @property
    def csv_path(self) -> Path:
        return self.out_dir / f"{self.stem}.csv"

    def counts(self) -> dict[str, int]:
        return {"done": len(self.done), "skipped": len(self.skipped), "failed": len(self.failed)}

    def write(self) -> None:
        """``<stem>.json`` and ``<stem>.csv`` in the output folder, each written atomically."""
        data: dict[str, Any] = {"format": REPORT_FORMAT, "version": 1, "out_dir": str(self.out_dir),
                                "counts": self.counts(), "cancelled": self.cancelled,
                                "interrupted": self.interrupted, "photos": self.rows}
        if self.shard is not None:
            data["shard"] = {"index": self.shard[0], "count": self.shard[1]}
            data["pending"] = self.pending[self.pending_from:]
        write_text(self.json_path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        write_text(self.csv_path, rows_to_csv(self.rows))

    def summary(self) -> str:
        text = (f"{len(self.done)} colourised, {len(self.skipped)} skipped (exists), "
                f"{len(self.failed)} failed -> {self.out_dir}")
        return text + (" (cancelled)" if self.cancelled else "")


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REPORT_FIELDS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


class ReportWriter:
    """Rewrites a :class:`BatchReport` as the batch goes: at most every ``REPORT_EVERY_S`` and, for big
    reports, rarely enough that writing stays under ``REPORT_MAX_SHARE`` of the time; ``flush`` always writes."""

    def __init__(self, report: BatchReport) -> None:
        self.report = report
        self._last = 0.0
        self._cost = 0.0

    def maybe_write(self) -> None:
        if time.monotonic() - self._last >= max(REPORT_EVERY_S, self._cost / REPORT_MAX_SHARE):
            self.flush()

    def flush(self) -> None:
        t0 = time.monotonic()
        try:
            self.report.write()
        except OSError:  # the output folder vanished or filled up: the photos' own failures say so
            pass
        self._last = time.monotonic()
        self._cost = self._last - t0


# --------------------------------------------------------------------------------------------- merging
@dataclass
class MergedReport:
    """The shards' reports of one output folder joined: rows, and what is still missing or failed."""

    out_dir: Path
    rows: list[dict[str, Any]]
    shards_found: dict[int, int]  # shard index -> count N it was run with
    missing_shards: list[str]  # "I/N" of shards with no report at all
    pending: list[str]  # inputs a shard has not handled yet (killed, cancelled or still running)
    problems: list[str]  # unreadable reports, mixed N

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["state"] == "failed"]

    @property
    def complete(self) -> bool:
        return not (self.missing_shards or self.pending or self.problems or self.failed)


def merge_reports(out_dir: str | Path) -> MergedReport:
    """Read every ``report-I-of-N.json`` in ``out_dir`` and join them (does not write anything)."""
    out_dir = Path(out_dir)
    rows: list[dict[str, Any]] = []
    found: dict[int, int] = {}
    pending: list[str] = []
    problems: list[str] = []
    for path in sorted(out_dir.glob("report-*-of-*.json"), key=lambda p: _shard_key(p.name)):
        m = _SHARD_REPORT.match(path.name)
        if not m:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != REPORT_FORMAT:
                raise ValueError("not a Restorer batch report")
            photos, left = list(data["photos"]), list(data.get("pending", []))
        except (OSError, ValueError, KeyError, TypeError) as e:
            problems.append(f"{path.name}: cannot read it ({e})")
            continue
        found[int(m.group(1))] = int(m.group(2))
        rows.extend(photos)
        pending.extend(left)
    counts = sorted(set(found.values()))
    if len(counts) > 1:
        problems.append("shard reports of different runs are mixed: N = " + ", ".join(map(str, counts)))
    n = counts[-1] if counts else 0
    missing = [f"{i}/{n}" for i in range(n) if found.get(i) != n]
    return MergedReport(out_dir, rows, found, missing, pending, problems)


def _shard_key(name: str) -> tuple[int, int]:
    m = _SHARD_REPORT.match(name)
    return (int(m.group(2)), int(m.group(1))) if m else (0, 0)


def write_merged(merged: MergedReport) -> Path:
    """The merged rows as the folder's ``report.json`` / ``report.csv`` (atomically)."""
    counts = {s: sum(r["state"] == s for r in merged.rows) for s in ("done", "skipped", "failed")}
    data = {"format": REPORT_FORMAT, "version": 1, "out_dir": str(merged.out_dir), "counts": counts,
            "merged_from": [f"{i}/{n}" for i, n in sorted(merged.shards_found.items())],
            "missing_shards": merged.missing_shards, "pending": merged.pending, "photos": merged.rows}
    path = write_text(merged.out_dir / REPORT_JSON, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    write_text(merged.out_dir / REPORT_CSV, rows_to_csv(merged.rows))
    return path
