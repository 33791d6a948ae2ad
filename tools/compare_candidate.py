"""A candidate model against the shipped one and issue 28's targets, from `restorer eval` reports.

    python tools/compare_candidate.py --model NAME --val OUT/val/report.json --people OUT/val_people/report.json
        [--against resources/models/vgg16-unet.json] [--write CARD.json --note "..."]

The reports are those of the commands in docs/eval/*/README.md (val with ``--part unseen=...``, val_people). The
shipped side is the ``full_val`` / ``full_val_people`` the card keeps from its own evaluation, so a candidate needs
only its own rows evaluated. ``--write`` stores the candidate's summaries in its card (do it when it ships).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from restorer.core.atomic import write_text
from restorer.core.eval_parts import model_summary

# Issue 28, point 4 (and point 5: half the false colour and hue error of the default when the measure came in,
# 13.4 % and 4.5 % on val). (set, key, goal, higher is better); "gain:" keys are gains over gray.
TARGETS = [
    ("val", "gain", 1.0, True), ("val", "colourfulness_ratio", 0.75, True),
    ("val", "js_a", 0.035, False), ("val", "js_b", 0.035, False),
    ("val", "gain:unseen", 0.5, True), ("val", "gain:nette", None, True), ("val", "gain:inet", None, True),
    ("val", "false_colour", 0.067, False), ("val", "hue_error", 0.0225, False),
    ("people", "gain", None, True),
    ("people", "gain:humanseg", 1.5, True), ("people", "gain:pennfudan", None, True),
    ("people", "gain:utkface", 5.5, True),
    ("people", "js_a", 0.045, False), ("people", "js_b", 0.045, False),
    ("people", "colourfulness_ratio", None, True), ("people", "false_colour", None, False),
]


def value(summary: dict | None, key: str) -> float | None:
    if not summary:
        return None
    if key == "gain":
        return None if summary.get("psnr") is None else summary["psnr"] - summary["gray_psnr"]
    if key.startswith("gain:"):
        return (summary.get("gain_over_gray_by_part") or {}).get(key[5:])
    return summary.get(key)


def _fmt(key: str, v: float | None) -> str:
    if v is None:
        return "–"
    if key in ("false_colour", "hue_error"):
        return f"{100 * v:.2f} %"
    if key.startswith("js"):
        return f"{v:.3f}"
    return f"{v:+.2f}" if key.startswith("gain") else f"{v:.2f}"


def table(candidate: dict[str, dict], shipped: dict[str, dict | None]) -> list[str]:
    lines = ["| set | measure | shipped | candidate | better | goal | met |", "|---|---|---:|---:|---|---:|---|"]
    for where, key, goal, higher in TARGETS:
        c, s = value(candidate[where], key), value(shipped[where], key)
        better = "" if c is None or s is None or abs(c - s) < 1e-9 else ("yes" if (c > s) == higher else "no")
        met = "" if goal is None or c is None else ("yes" if (c >= goal) == higher or c == goal else "no")
        lines.append(f"| {where} | {key} | {_fmt(key, s)} | {_fmt(key, c)} | {better} | "
                     f"{_fmt(key, goal) if goal is not None else ''} | {met} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="the candidate's name in the reports")
    ap.add_argument("--val", required=True, help="report.json of `restorer eval` on shared/data/val")
    ap.add_argument("--people", required=True, help="report.json of `restorer eval` on shared/data/val_people")
    ap.add_argument("--against", default="resources/models/vgg16-unet.json", help="the shipped model's card")
    ap.add_argument("--write", metavar="CARD", help="store the candidate's summaries as this card's full_val(_people)")
    ap.add_argument("--note", default="", help="with --write: how the numbers were made (goes into the card)")
    a = ap.parse_args(argv)
    reports = {k: json.loads(Path(p).read_text(encoding="utf-8")) for k, p in (("val", a.val), ("people", a.people))}
    candidate = {k: model_summary(r, a.model) for k, r in reports.items()}
    metrics = json.loads(Path(a.against).read_text(encoding="utf-8")).get("metrics", {})
    shipped = {"val": metrics.get("full_val"), "people": metrics.get("full_val_people")}
    print("\n".join(table(candidate, shipped)))
    if a.write:
        card = json.loads(Path(a.write).read_text(encoding="utf-8"))
        for where, key in (("val", "full_val"), ("people", "full_val_people")):
            card.setdefault("metrics", {})[key] = {**({"note": a.note} if a.note else {}), **candidate[where]}
        write_text(a.write, json.dumps(card, indent=2) + "\n")
        print(f"wrote full_val and full_val_people into {a.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
