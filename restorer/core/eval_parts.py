"""Per-part summaries of a `restorer eval` report.

A validation folder mixes kinds of photo (val_people: face crops and people in streets and parks) and a mean over
all of them hides where a model fails. Parts are found in two ways: by the file name's prefix before the first
``_`` (the shared data names each file by its source: ``utkface_``, ``humanseg_``, ``pennfudan_``), and by named
lists of file names given on the command line (``--part unseen=docs/eval/val-unseen-classes.txt``).

Each part gets, per model and hint count: photos, mean PSNR and its gain over gray on the same photos, the
colourfulness ratio (ratio of means, as the main table) and the mean per-photo false-colour and hue-error shares.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

OTHER = "(no prefix)"


def read_part_spec(spec: str) -> tuple[str, set[str]]:
    """``"NAME=FILE"`` -> (NAME, the file names listed in FILE, one per line, ``#`` comments allowed)."""
    name, eq, file = spec.partition("=")
    if not eq or not name.strip() or not file.strip():
        raise ValueError(f"--part takes NAME=FILE, not {spec!r}")
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"--part {name}: cannot read {file}: {e.strerror or e}") from e
    names = {line.split("#", 1)[0].strip() for line in text.splitlines()}
    names.discard("")
    if not names:
        raise ValueError(f"--part {name}: {file} lists no file names")
    return name.strip(), names


def prefix_of(rel: str) -> str:
    base = PurePosixPath(rel).name
    return base.split("_", 1)[0] if "_" in base else OTHER


def _groups(images: list[str], named: Mapping[str, set[str]]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, rel in enumerate(images):
        groups.setdefault(prefix_of(rel), []).append(i)
    if len(groups) == 1 and not named:
        return {}  # one kind of photo: the main table already says it all
    for name, files in named.items():
        groups[name] = [i for i, rel in enumerate(images) if PurePosixPath(rel).name in files or rel in files]
    return groups


def _mean(values: list[Any], idx: list[int]) -> float | None:
    vals = [values[i] for i in idx if values[i] is not None]
    return sum(vals) / len(vals) if vals else None


def summarise(report: dict[str, Any], named: Mapping[str, set[str]] | None = None) -> dict[str, list[dict]]:
    """``{part: [row, ...]}`` in the order of ``report["results"]``; empty when there is only one kind."""
    images = report["images"]
    groups = _groups(images, named or {})
    gt_cf = report["ground_truth"]["colourfulness"]
    gray = next(r for r in report["results"] if r["baseline"])
    out: dict[str, list[dict]] = {}
    for part, idx in groups.items():
        gray_psnr = _mean(gray["per_image"]["psnr"], idx)
        gt_mean = _mean(gt_cf, idx)
        rows = []
        for r in report["results"]:
            per = r["per_image"]
            psnr, cf = _mean(per["psnr"], idx), _mean(per["colourfulness"], idx)
            rows.append({
                "model": r["model"], "hints": r["hints"], "baseline": r["baseline"], "n": len(idx),
                "psnr": psnr,
                "gain_over_gray": psnr - gray_psnr if psnr is not None and gray_psnr is not None else None,
                "colourfulness_ratio": cf / gt_mean if cf is not None and gt_mean else None,
                "false_colour": _mean(per.get("false_colour", [None] * len(images)), idx),
                "hue_error": _mean(per.get("hue_error", [None] * len(images)), idx),
            })
        out[part] = rows
    return out


def render(parts: dict[str, list[dict]]) -> list[str]:
    """Markdown lines of the per-part section (none when there are no parts)."""
    if not parts:
        return []

    def f(v: Any, fmt: str) -> str:
        return "–" if v is None else format(v, fmt)

    lines = ["", "## By part", "",
             "Parts by file-name prefix and by the named lists given with `--part`. Gain: mean PSNR minus gray's on "
             "the same photos; false colour / hue error: mean of the per-photo shares.", "",
             "| Part | n | Model | Hints | PSNR ↑ | Gain over gray ↑ | CF ratio | False colour ↓ | Hue error ↓ |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for part, rows in parts.items():
        for r in rows:
            name = f"{r['model']} (baseline)" if r["baseline"] else r["model"]
            hints = "–" if r["baseline"] else str(r["hints"])
            fc = None if r["false_colour"] is None else 100 * r["false_colour"]
            he = None if r["hue_error"] is None else 100 * r["hue_error"]
            lines.append(f"| {part} | {r['n']} | {name} | {hints} | {f(r['psnr'], '.2f')} "
                         f"| {f(r['gain_over_gray'], '+.2f')} | {f(r['colourfulness_ratio'], '.2f')} "
                         f"| {f(fc, '.2f')} % | {f(he, '.2f')} % |".replace("– %", "–"))
    return lines



def _round(v: float | None, digits: int) -> float | None:
    return None if v is None else round(v, digits)


def model_summary(report: dict[str, Any], model: str, hints: int = 0) -> dict[str, Any]:
    """What a model card keeps of one model's row in a report (its ``full_val`` / ``full_val_people``): the
    set's PSNR against gray, SSIM, colourfulness ratio, JS a/b, false colour, hue error and each part's gain."""
    rows = [r for r in report["results"] if r["model"] == model and r["hints"] == hints and not r["baseline"]]
    if not rows:
        raise KeyError(f"no row of {model!r} at {hints} hints in this report")
    row, gray = rows[0], next(r for r in report["results"] if r["baseline"])
    st, mean = row["set"], row["mean"]
    parts = report.get("parts") or {}
    return {
        "n_images": row["n_images"],
        "psnr": _round(mean["psnr"], 2), "gray_psnr": _round(gray["mean"]["psnr"], 2),
        "ssim": _round(mean.get("ssim"), 4),
        "colourfulness_ratio": _round(st["colourfulness_ratio"], 2),
        "colourfulness_ratio_per_image": _round(mean.get("colourfulness_ratio"), 2),
        "js_a": _round(st["js_a"], 4), "js_b": _round(st["js_b"], 4),
        "false_colour": _round(st.get("false_colour"), 4), "hue_error": _round(st.get("hue_error"), 4),
        "gain_over_gray_by_part": {
            part: _round(r["gain_over_gray"], 2)
            for part, part_rows in sorted(parts.items()) if part != OTHER
            for r in part_rows if r["model"] == model and r["hints"] == hints},
    }


__all__ = ["model_summary", "prefix_of", "read_part_spec", "render", "summarise"]
