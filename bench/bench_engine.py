#!/usr/bin/env python
"""Speed and memory benchmark of the colourisation engine: the same as `restorer bench`.

    python bench/bench_engine.py [--models a,b] [--folder DIR] [--sizes 1,12,24] [--device cpu] [--json out.json]

All the work is in restorer.core.bench; this script only exists so the benchmark can be run from a checkout
without installing the `restorer` command.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Run from a source checkout without `pip install -e .`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from restorer.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
