"""Check that a refactor left `restorer colorize` outputs unchanged.

    python tools/check_identical.py record BASELINE.json [IN ...]
    python tools/check_identical.py check BASELINE.json [IN ...]

`record` colourises the inputs (default: the shipped sample and ../shared/data/bw) with the
default model and stores, per output, the SHA-256 of the file and of its decoded pixels.
`record` also keeps the outputs beside BASELINE.json (BASELINE.outputs/). `check` does the same again and
lists every difference, with the largest step in levels when the kept outputs are there; it exits 1 when
any pixel differs by more than `--tolerance LEVELS` (default 0).
A change of file bytes with identical pixels is reported separately: that is the expected
result of a deliberate metadata change (e.g. new provenance fields), not of a refactor.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUTS = [ROOT / "resources" / "sample" / "sample.jpg", ROOT.parent / "shared" / "data" / "bw"]


def _digest(folder: Path) -> dict[str, dict[str, str]]:
    result = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("report.")):
        with Image.open(path) as image:
            pixels = np.asarray(image)
        result[str(path.relative_to(folder))] = {
            "file": hashlib.sha256(path.read_bytes()).hexdigest(),
            "pixels": hashlib.sha256(pixels.tobytes() + str(pixels.shape).encode()).hexdigest(),
        }
    return result


def _colourise(inputs: list[str], keep: Path | None) -> dict[str, dict[str, str]]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "restorer", "colorize", "--device", "cpu", "-o", out, *inputs]
        # The checkout this script lives in, not whatever `restorer` the venv has installed: that lets a
        # worktree of an older commit record the baseline with the same interpreter.
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(out, keep)
        return _digest(Path(out))


def _largest_step(before: Path, after: Path) -> tuple[int, float]:
    """Largest per-channel difference in levels and the share of values that differ at all."""
    with Image.open(before) as a, Image.open(after) as b:
        x, y = np.asarray(a).astype(np.int32), np.asarray(b).astype(np.int32)
    if x.shape != y.shape:
        return 1 << 16, 1.0
    d = np.abs(x - y)
    return int(d.max()), float((d > 0).mean())


def main(argv: list[str]) -> int:
    tolerance = 0
    if "--tolerance" in argv:
        i = argv.index("--tolerance")
        tolerance = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) < 2 or argv[0] not in ("record", "check"):
        print(__doc__.strip())
        return 2
    mode, baseline = argv[0], Path(argv[1])
    kept = baseline.with_suffix(".outputs")
    inputs = argv[2:] or [str(p) for p in DEFAULT_INPUTS if p.exists()]
    with tempfile.TemporaryDirectory() as scratch:
        now_dir = kept if mode == "record" else Path(scratch) / "now"
        now = _colourise(inputs, now_dir)
        if mode == "record":
            baseline.write_text(json.dumps(now, indent=1))
            print(f"recorded {len(now)} outputs in {baseline} (files kept in {kept})")
            return 0
        return _compare(json.loads(baseline.read_text()), now, kept, now_dir, tolerance)


def _compare(before: dict, now: dict, kept: Path, now_dir: Path, tolerance: int) -> int:
    missing = sorted(set(before) ^ set(now))
    pixels = [k for k in sorted(set(before) & set(now)) if before[k]["pixels"] != now[k]["pixels"]]
    files = [k for k in sorted(set(before) & set(now)) if before[k]["file"] != now[k]["file"]]
    for name in missing:
        print(f"only on one side: {name}")
    beyond = []
    for name in pixels:
        if (kept / name).exists():
            step, share = _largest_step(kept / name, now_dir / name)
            print(f"pixels differ: {name}: largest step {step}/255 in {share:.4%} of values")
            if step > tolerance:
                beyond.append(name)
        else:
            print(f"pixels differ: {name}")
            beyond.append(name)
    metadata_only = [k for k in files if k not in pixels]
    print(f"{len(now)} outputs: {len(pixels)} with other pixels ({len(beyond)} beyond {tolerance}/255), "
          f"{len(metadata_only)} with the same pixels but other file bytes (metadata), {len(missing)} missing")
    return 1 if (beyond or missing) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
