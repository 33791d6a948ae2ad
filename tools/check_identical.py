"""Check that a refactor left `restorer colorize` outputs unchanged.

    python tools/check_identical.py record BASELINE.json [IN ...]
    python tools/check_identical.py check BASELINE.json [IN ...]

`record` colourises the inputs (default: the shipped sample and ../shared/data/bw) with the
default model and stores, per output, the SHA-256 of the file and of its decoded pixels.
`check` does the same again and lists every difference; it exits 1 when any pixel differs.
A change of file bytes with identical pixels is reported separately: that is the expected
result of a deliberate metadata change (e.g. new provenance fields), not of a refactor.
"""

from __future__ import annotations

import hashlib
import json
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


def _colourise(inputs: list[str]) -> dict[str, dict[str, str]]:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "restorer", "colorize", "--device", "cpu", "-o", out, *inputs]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return _digest(Path(out))


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("record", "check"):
        print(__doc__.strip())
        return 2
    mode, baseline = argv[0], Path(argv[1])
    inputs = argv[2:] or [str(p) for p in DEFAULT_INPUTS if p.exists()]
    now = _colourise(inputs)
    if mode == "record":
        baseline.write_text(json.dumps(now, indent=1))
        print(f"recorded {len(now)} outputs in {baseline}")
        return 0
    before = json.loads(baseline.read_text())
    missing = sorted(set(before) ^ set(now))
    pixels = [k for k in sorted(set(before) & set(now)) if before[k]["pixels"] != now[k]["pixels"]]
    files = [k for k in sorted(set(before) & set(now)) if before[k]["file"] != now[k]["file"]]
    for name in missing:
        print(f"only on one side: {name}")
    for name in pixels:
        print(f"pixels differ: {name}")
    metadata_only = [k for k in files if k not in pixels]
    print(f"{len(now)} outputs: {len(pixels)} with other pixels, {len(metadata_only)} with the same "
          f"pixels but other file bytes (metadata), {len(missing)} missing")
    return 1 if (pixels or missing) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
