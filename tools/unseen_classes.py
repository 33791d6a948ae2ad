"""List the val photos whose ImageNet class has no photo in train (issue 28's "unseen classes" part).

    python tools/unseen_classes.py [--train ../shared/data/train] [--val ../shared/data/val] > LIST.txt

A class is a WordNet id (``n01440764``) anywhere in the file name; train's inet_, imagen_ and nette_ files all
carry one. Val photos without a WordNet id are not ImageNet photos and are left out. The list feeds
``restorer eval --part unseen=LIST.txt``.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

WNID = re.compile(r"n\d{8}")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def unseen(train: Path, val: Path) -> list[str]:
    seen = {w for p in train.iterdir() for w in WNID.findall(p.name)}
    out = []
    for p in sorted(val.iterdir()):
        ids = WNID.findall(p.name)
        if ids and not seen.intersection(ids):
            out.append(p.name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=Path, default=SHARED / "train")
    ap.add_argument("--val", type=Path, default=SHARED / "val")
    a = ap.parse_args()
    names = unseen(a.train, a.val)
    print(f"# {len(names)} photos of {a.val.name}/ whose ImageNet class has no photo in {a.train.name}/ "
          "(tools/unseen_classes.py)")
    print("\n".join(names))


if __name__ == "__main__":
    main()
