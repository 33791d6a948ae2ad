"""`python -m training.recipes`: a tiny recipe trains, and its checkpoints export as candidates for `restorer eval`."""
import json
import shutil
import sys

import torch

from training import recipes

TINY = dict(name="tiny-default", run="tiny-run", arch="unet", arch_kwargs={"base": 8, "depth": 2}, size=64,
            batch=4, lr=3e-3, perc_weight=0.0, adv_weight=0.0, gan_fraction=0.0, val_count=4, val_size=64,
            working_size=64, min_colourfulness=0.0, default=True)


def _main(monkeypatch, *args):
    monkeypatch.setattr(sys, "argv", ["recipes", "tiny", "--threads", "1", *args])
    recipes.main()


def test_export_only_last_as_candidate(colour_folder, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shutil.copytree(colour_folder, shared / "train")
    shutil.copytree(colour_folder, shared / "val")
    monkeypatch.setattr(recipes, "SHARED", str(shared))
    monkeypatch.setitem(recipes.RECIPES, "tiny", dict(TINY, minutes=0.1))
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    _main(monkeypatch)
    run = tmp_path / "runs" / "tiny-run"
    last = torch.load(run / "last.pt", map_location="cpu", weights_only=True)
    best = torch.load(run / "best.pt", map_location="cpu", weights_only=True)
    assert last["step"] > 0

    _main(monkeypatch, "--export-only", "--last", "--as", "tiny-cand")
    card = json.loads((run / "candidates" / "tiny-cand.json").read_text())
    assert card["name"] == "tiny-cand" and card["default"] is False
    assert card["training"]["steps"] == last["step"]
    # The run's own export (the selected weights, under the recipe's name) is not touched by a candidate's.
    _main(monkeypatch, "--export-only")
    own = json.loads((run / "export" / "tiny-default.json").read_text())
    assert own["default"] is True and own["training"]["steps"] == best["step"]
