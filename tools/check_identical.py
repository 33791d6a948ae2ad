"""Check that a refactor left `restorer colorize` outputs unchanged.

    python tools/check_identical.py record BASELINE.json [--format png] [--root CHECKOUT] [IN ...]
    python tools/check_identical.py check BASELINE.json [--root CHECKOUT] [--tolerance LEVELS] [IN ...]
    python tools/check_identical.py diff DIR_A DIR_B


`record` colourises the inputs (default: the shipped sample and ../shared/data/bw) with the
default model and stores, per output, the SHA-256 of the file and of its decoded pixels.
`record` also keeps the outputs beside BASELINE.json (BASELINE.outputs/). `check` does the same again and
lists every difference, with the largest step in levels when the kept outputs are there; it exits 1 when
any pixel differs by more than `--tolerance LEVELS` (default 0).
A change of file bytes with identical pixels is reported separately: that is the expected
result of a deliberate metadata change (e.g. new provenance fields), not of a refactor.

`--format png` (or any `restorer colorize --format`) writes every output in that format; it is stored in
BASELINE.json and `check` uses it again. Use PNG to see the colourisation itself: a JPEG output re-quantises
any change, so a 1/255 step of the engine shows as 4-7/255 in a few 8x8 blocks (docs/identical-outputs.md).
`--root CHECKOUT` colourises with another checkout's code (e.g. `git worktree add /tmp/wt-SHA SHA`) through
this interpreter, on the same inputs, so one copy of this script can record the baselines of older commits.
`diff DIR_A DIR_B` compares two kept output folders (e.g. two BASELINE.outputs) value by value: the largest
step, the share of values that differ and how many differ by each step.
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


def _colourise(inputs: list[str], keep: Path | None, fmt: str | None = None,
               root: Path = ROOT) -> dict[str, dict[str, str]]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "restorer", "colorize", "--device", "cpu", "-o", out,
               *(["--format", fmt] if fmt else []), *inputs]
        # The checkout this script lives in (or --root), not whatever `restorer` the venv has installed: that
        # lets a worktree of an older commit record the baseline with the same interpreter.
        env = {**os.environ, "PYTHONPATH": str(root)}
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=root, env=env)
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(out, keep)
        return _digest(Path(out))


def _steps(before: Path, after: Path) -> np.ndarray | None:
    """Per-value absolute differences in levels (None when the shapes differ)."""
    with Image.open(before) as a, Image.open(after) as b:
        x, y = np.asarray(a).astype(np.int32), np.asarray(b).astype(np.int32)
    return np.abs(x - y) if x.shape == y.shape else None


def _largest_step(before: Path, after: Path) -> tuple[int, float]:
    """Largest per-channel difference in levels and the share of values that differ at all."""
    d = _steps(before, after)
    if d is None:
        return 1 << 16, 1.0
    return int(d.max()), float((d > 0).mean())


def _option(argv: list[str], name: str) -> str | None:
    """Remove ``name VALUE`` from argv and return VALUE (None when absent)."""
    if name not in argv:
        return None
    i = argv.index(name)
    if i + 1 >= len(argv):
        raise SystemExit(f"{name} needs a value")
    value = argv[i + 1]
    del argv[i:i + 2]
    return value


def diff(a: Path, b: Path) -> int:
    """Compare two folders of outputs value by value; exit 1 when any value differs."""
    names = sorted(str(p.relative_to(a)) for p in a.rglob("*") if p.is_file() and not p.name.startswith("report."))
    others = sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file() and not p.name.startswith("report."))
    for name in sorted(set(names) ^ set(others)):
        print(f"only on one side: {name}")
    total_values = differing = largest = 0
    hist: dict[int, int] = {}
    changed = 0
    for name in sorted(set(names) & set(others)):
        d = _steps(a / name, b / name)
        if d is None:
            print(f"{name}: other shape")
            changed += 1
            continue
        n = int((d > 0).sum())
        total_values += d.size
        differing += n
        if n:
            changed += 1
            largest = max(largest, int(d.max()))
            steps, counts = np.unique(d[d > 0], return_counts=True)
            for s_, c in zip(steps.tolist(), counts.tolist()):
                hist[s_] = hist.get(s_, 0) + c
            print(f"{name}: largest step {int(d.max())}/255 in {n / d.size:.4%} of values")
    share = differing / total_values if total_values else 0.0
    print(f"{len(set(names) & set(others))} outputs compared: {changed} differ; largest step {largest}/255; "
          f"{differing} of {total_values} values ({share:.4%}) differ; by step: "
          + (", ".join(f"{k}: {v}" for k, v in sorted(hist.items())) or "none"))
    return 1 if (changed or set(names) ^ set(others)) else 0


def main(argv: list[str]) -> int:
    argv = list(argv)
    tolerance = int(_option(argv, "--tolerance") or 0)
    fmt = _option(argv, "--format")
    root = Path(_option(argv, "--root") or ROOT).resolve()
    if len(argv) == 3 and argv[0] == "diff":
        return diff(Path(argv[1]), Path(argv[2]))
    if len(argv) < 2 or argv[0] not in ("record", "check"):
        print(__doc__.strip())
        return 2
    mode, baseline = argv[0], Path(argv[1])
    kept = baseline.with_suffix(".outputs")
    inputs = argv[2:] or [str(p) for p in DEFAULT_INPUTS if p.exists()]
    recorded = json.loads(baseline.read_text()) if mode == "check" else None
    if recorded is not None and "outputs" in recorded:  # {"format": ..., "outputs": {...}}
        fmt = fmt or recorded.get("format")
        recorded = recorded["outputs"]
    with tempfile.TemporaryDirectory() as scratch:
        now_dir = kept if mode == "record" else Path(scratch) / "now"
        now = _colourise(inputs, now_dir, fmt, root)
        if mode == "record":
            # Without --format the file stays a plain {output: digests} map, as older baselines are.
            baseline.write_text(json.dumps({"format": fmt, "outputs": now} if fmt else now, indent=1))
            print(f"recorded {len(now)} outputs in {baseline} (files kept in {kept})")
            return 0
        return _compare(recorded, now, kept, now_dir, tolerance)


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
