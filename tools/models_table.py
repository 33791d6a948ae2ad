"""Print a Markdown table of the installed models' cards (for the README and model cards)."""
from __future__ import annotations

from restorer.core.models import list_models


def main() -> None:
    print("| model | architecture | file | trained | images seen | val PSNR (gray) | colourfulness ratio | JS a / b |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for c in list_models():
        m, t = c.metrics, c.training
        size = c.weights_path.stat().st_size / 1e6
        mark = " (default)" if c.default else ""
        print(f"| {c.name}{mark} | {c.arch} | {size:.1f} MB | {t.get('minutes', 0):.0f} min | "
              f"{t.get('images_seen', 0):,} | {m.get('psnr', float('nan')):.2f} ({m.get('gray_psnr', float('nan')):.2f}) | "
              f"{m.get('colourfulness_ratio', float('nan')):.2f} | {m.get('js_a', float('nan')):.3f} / "
              f"{m.get('js_b', float('nan')):.3f} |")


if __name__ == "__main__":
    main()
