"""Print a Markdown table of the installed models' cards (for the README and model cards)."""
from __future__ import annotations

from restorer.core.models import list_models


def main() -> None:
    print("| model | architecture | file | trained | images seen | val PSNR (gray) | colourfulness ratio | JS a / b |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for c in list_models():
        m, t = c.metrics, c.training
        # A fine-tuned model's own numbers start at its base: report the whole history.
        b = t.get("base_training") or {}
        minutes, seen = t.get("minutes", 0) + b.get("minutes", 0), t.get("images_seen", 0) + b.get("images_seen", 0)
        size = c.weights_path.stat().st_size / 1e6
        mark = " (default)" if c.default else ""
        print(f"| {c.name}{mark} | {c.arch} | {size:.1f} MB | {minutes:.0f} min | "
              f"{seen:,} | {m.get('psnr', float('nan')):.2f} ({m.get('gray_psnr', float('nan')):.2f}) | "
              f"{m.get('colourfulness_ratio', float('nan')):.2f} | {m.get('js_a', float('nan')):.3f} / "
              f"{m.get('js_b', float('nan')):.3f} |")


if __name__ == "__main__":
    main()
