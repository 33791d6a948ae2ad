"""How `restorer eval` shows its report to people: report.md and the figures (a/b histograms, metrics against
hints, examples).

The figures need matplotlib (optional) and are drawn on a Figure with its own Agg canvas, never pyplot: no
global backend switch, so this is safe inside the Qt app too. Each figure is written atomically.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from restorer.core import eval_parts
from restorer.core import metrics as M
from restorer.core.atomic import write_bytes


def _fmt(v: Any, digits: int) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _pct(v: Any) -> str:
    return "–" if v is None else f"{100 * v:.2f} %"


def render_markdown(report: dict[str, Any]) -> str:
    """The human-readable report: settings, the main table (set-level divergences), per-image divergences."""
    s = report["settings"]
    gt = report["ground_truth"]
    lines = [
        "# Restorer evaluation report",
        "",
        f"- data: `{s['data']}`: {s['n_images']} colour photos evaluated of {s['n_candidates']} files "
        f"(skipped: {s['skipped']['unreadable']} unreadable, {s['skipped']['gray']} gray)",
        f"- size: {s['size'] or 'original'}; hints: {', '.join(map(str, s['hint_counts']))}; seed {s['seed']}; "
        f"device: {s['device']}",
        f"- LPIPS: {s['lpips']}",
        *([f"- rows of {', '.join(s['reused']['models'])} carried over from `{s['reused']['report']}` "
           "(same photos, hints and settings)"] if s.get("reused") else []),
        f"- ground-truth colourfulness (mean): {_fmt(gt['colourfulness_mean'], 1)}",
        f"- restorer {report.get('restorer_version', '?')}, {report.get('created', '')}, "
        f"{_fmt(report.get('seconds'), 1)} s",
        "",
        "## Results",
        "",
        "JS / KL: divergences (nats) of the a and b histograms accumulated over the whole set; "
        "KL is KL(ground truth ‖ prediction). ↑ higher is better, ↓ lower is better; CF ratio: mean colourfulness "
        "over the originals' mean (1 = as colourful as the originals); CF ratio/img: mean of the per-image ratios "
        "(inflated by near-gray originals). False colour: share of the nearly neutral pixels of the originals "
        "(chroma < 8) given chroma > 20; hue error: share of the pixels chromatic in both (chroma > 15) whose hues "
        "are over 90° apart (both pooled over the set's pixels).",
        "",
        "| Model | Hints | PSNR ↑ | SSIM ↑ | LPIPS ↓ | Colourfulness | CF ratio | CF ratio/img | JS a ↓ | JS b ↓ "
        "| KL a ↓ | KL b ↓ | False colour ↓ | Hue error ↓ | s/img | n |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    footnote = False
    for r in report["results"]:
        m, st = r["mean"], r["set"]
        name = f"{r['model']} (baseline)" if r["baseline"] else r["model"]
        hints = "–" if r["baseline"] else str(r["hints"])
        if not r["baseline"] and r["hints"] > 0 and r["model_takes_hints"] is False:
            hints += "*"
            footnote = True
        lines.append(
            f"| {name} | {hints} | {_fmt(m['psnr'], 2)} | {_fmt(m['ssim'], 4)} | {_fmt(m['lpips'], 4)} "
            f"| {_fmt(m['colourfulness'], 1)} | {_fmt(st['colourfulness_ratio'], 2)} "
            f"| {_fmt(m['colourfulness_ratio'], 2)} | {_fmt(st['js_a'], 4)} "
            f"| {_fmt(st['js_b'], 4)} | {_fmt(st['kl_a'], 3)} | {_fmt(st['kl_b'], 3)} "
            f"| {_pct(st.get('false_colour'))} | {_pct(st.get('hue_error'))} "
            f"| {_fmt(m['seconds_per_image'], 3)} | {r['n_images']} |"
        )
    if footnote:
        lines += ["", "\\* the model takes no hints as input; the engine only propagates them onto its result."]
    lines += [
        "",
        "### Per-image mean divergences",
        "",
        "| Model | Hints | JS a | JS b | KL a | KL b |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        m = r["mean"]
        name = f"{r['model']} (baseline)" if r["baseline"] else r["model"]
        hints = "–" if r["baseline"] else str(r["hints"])
        lines.append(f"| {name} | {hints} | {_fmt(m['js_a'], 4)} | {_fmt(m['js_b'], 4)} | {_fmt(m['kl_a'], 3)} "
                     f"| {_fmt(m['kl_b'], 3)} |")
    lines += eval_parts.render(report.get("parts") or {})
    failed = [(r["model"], r["hints"], f) for r in report["results"] for f in r["failures"]]
    if failed:
        lines += ["", "## Failures", ""] + [f"- {m} ({h} hints): {f}" for m, h, f in failed[:50]]
    if s["n_images"]:
        lines += ["", "## Figures", "", "![a/b histograms](histograms.png)", "", "![metrics vs hints](hints.png)",
                  "", "![examples](examples.png)"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- figures
def have_matplotlib() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _new_figure(w: float, h: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save_figure(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    write_bytes(path, buf.getvalue())


def _plot_histograms(path: Path, rows: list, gt_a: np.ndarray, gt_b: np.ndarray) -> None:
    names = list(dict.fromkeys(r.model for r in rows))
    centres = np.linspace(M.AB_RANGE[0], M.AB_RANGE[1], M.AB_BINS + 1)
    centres = 0.5 * (centres[1:] + centres[:-1])
    fig = _new_figure(10, 2.4 * len(names) + 0.6)
    axes = fig.subplots(len(names), 2, squeeze=False)
    for i, name in enumerate(names):
        for j, (label, gt_h) in enumerate((("a", gt_a), ("b", gt_b))):
            ax = axes[i][j]
            ax.fill_between(centres, gt_h / max(gt_h.sum(), 1), color="0.75", label="ground truth", step="mid")
            for r in rows:
                h = r.hist_a if j == 0 else r.hist_b
                if r.model != name or h is None:
                    continue
                lab = "gray" if r.baseline else f"{r.hints} hints"
                ax.plot(centres, h / max(h.sum(), 1), drawstyle="steps-mid", lw=1.2, label=lab)
            ax.set_yscale("log")
            ax.set_ylim(1e-5, 1.0)  # log scale shows the colour tails that carry the differences
            ax.set_xlim(*M.AB_RANGE)
            ax.set_title(f"{name}: {label} histogram", fontsize=9)
            ax.tick_params(labelsize=7)
            if i == len(names) - 1:
                ax.set_xlabel(f"{label} (Lab)", fontsize=8)
            ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    _save_figure(fig, path)


def _plot_hints(path: Path, report: dict[str, Any]) -> None:
    fig = _new_figure(10, 3.6)
    axes = fig.subplots(1, 2)
    hint_counts = report["settings"]["hint_counts"]
    for ax, key, title in ((axes[0], "psnr", "PSNR (dB) ↑"), (axes[1], "lpips", "LPIPS ↓")):
        any_value = False
        for r in report["results"]:
            if r["baseline"]:
                v = r["mean"][key]
                if v is not None:
                    ax.axhline(v, color="0.5", ls="--", lw=1, label="gray baseline")
                    any_value = True
        by_model: dict[str, list[tuple[int, float]]] = {}
        for r in report["results"]:
            if not r["baseline"] and r["mean"][key] is not None:
                by_model.setdefault(r["model"], []).append((r["hints"], r["mean"][key]))
        for name, pts in by_model.items():
            xs, ys = zip(*sorted(pts))
            ax.plot(xs, ys, marker="o", label=name)
            any_value = True
        if not any_value:
            ax.text(0.5, 0.5, f"{key.upper()} not available", ha="center", va="center", transform=ax.transAxes)
        # symlog keeps 0 hints on the axis while spreading 1, 10, 50 apart.
        if max(hint_counts) > 10:
            ax.set_xscale("symlog", linthresh=1)
        ax.set_xticks(hint_counts)
        ax.set_xticklabels([str(n) for n in hint_counts])
        ax.set_xlabel("number of hints")
        ax.set_title(title)
        if any_value:
            ax.legend(fontsize=8)
    fig.tight_layout()
    _save_figure(fig, path)


def _plot_examples(path: Path, examples: list[dict[str, np.ndarray]], columns: list[str], images: list[str],
                   hints: int) -> None:
    if not examples:
        return
    cols = [*columns, "__gt__"]
    ncol, nrow = len(cols), len(examples)
    fig = _new_figure(2.2 * ncol, 2.2 * nrow + 0.3)
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for i, ex in enumerate(examples):
        for j, c in enumerate(cols):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if c in ex:
                ax.imshow(ex[c])
            else:
                ax.text(0.5, 0.5, "failed", ha="center", va="center", transform=ax.transAxes)
            if i == 0:
                title = "ground truth" if c == "__gt__" else c if j == 0 else f"{c}\n({hints} hints)"
                ax.set_title(title, fontsize=9)
            if j == 0:
                ax.set_ylabel(Path(images[i]).name[:24], fontsize=7)
    fig.tight_layout()
    _save_figure(fig, path)


def write_figures(out_dir: Path, report: dict[str, Any], rows: list, gt_hists: tuple[np.ndarray, np.ndarray],
                  examples: list[dict[str, np.ndarray]], columns: list[str], hints: int) -> None:
    """histograms.png, hints.png and examples.png of an evaluation into ``out_dir``.

    ``rows``: the evaluation's accumulators (``model``, ``hints``, ``baseline``, ``hist_a``, ``hist_b``);
    ``examples``: thumbnails per column name, plus ``"__gt__"``; ``columns``: the baseline's first, then the
    models'; ``hints``: the hint count the examples show.
    """
    _plot_histograms(out_dir / "histograms.png", rows, *gt_hists)
    _plot_hints(out_dir / "hints.png", report)
    _plot_examples(out_dir / "examples.png", examples, columns, report["images"], hints)
