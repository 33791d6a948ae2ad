"""Reference mode on a tiny pair: a few steps, outputs of the target's size, a kept model that loads the same."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from restorer import cli
from restorer.core import model_store
from restorer.core.engine import colorize
from restorer.core.io import read_image
from restorer.core.models import ModelError, list_models, load_model, resolve, sha256_file
from training.reference import train_reference


@pytest.fixture
def pair(tmp_path, gray_photo):
    """A colour reference (blue top, orange bottom) and a gray target of another size."""
    ref = np.repeat(gray_photo[..., :1], 3, axis=2).astype(np.int16)
    ref[:48] += np.array([-40, 0, 60], dtype=np.int16)
    ref[48:] += np.array([60, 10, -50], dtype=np.int16)
    ref = np.clip(ref, 0, 255).astype(np.uint8)
    ref_path, target_path = tmp_path / "ref.png", tmp_path / "target.png"
    Image.fromarray(ref).save(ref_path)
    Image.fromarray(gray_photo[:80, :112]).save(target_path)
    return ref_path, target_path


def test_a_few_steps_learn_towards_the_reference(pair, tiny_model_dir):
    ref_path, _ = pair
    ref = read_image(ref_path).pixels
    base = load_model("tiny-test", device="cpu")
    result = train_reference(ref, base="tiny-test", max_steps=60, ref_path=ref_path)
    assert result.steps == 60
    assert result.history[-1][1] < result.history[0][1]  # the loss fell
    card = result.model.card
    assert card.kind == "reference" and card.arch == "reference_head"
    assert card.training["reference"] == {"file": "ref.png", "size": [128, 96], "sha256": sha256_file(ref_path)}
    err = lambda out: np.abs(out.astype(float) - ref.astype(float)).mean()  # noqa: E731
    assert err(colorize(ref, result.model)) < err(colorize(ref, base))


def test_untrained_head_is_the_base_model(pair, tiny_model_dir, gray_photo):
    result = train_reference(read_image(pair[0]).pixels, base="tiny-test", max_steps=0, minutes=1)
    base = load_model("tiny-test", device="cpu")
    assert np.abs(colorize(gray_photo, result.model).astype(int) - colorize(gray_photo, base).astype(int)).max() <= 1


def test_cli_writes_the_targets_and_keeps_a_model(pair, tiny_model_dir, tmp_path, gray_photo):
    ref_path, target_path = pair
    out = tmp_path / "out"
    code = cli.main(["reference", "--ref", str(ref_path), str(target_path), "-o", str(out), "--minutes", "0.03",
                     "--base", "tiny-test", "--keep", "like ref"])
    assert code == 0
    written = out / "target_colour.png"
    assert Image.open(written).size == Image.open(target_path).size
    assert json.loads((out / "report.json").read_text())  # the batch report of the one engine
    card = resolve("like ref")
    assert card.kind == "reference" and not card.bundled
    assert card.training["reference"]["file"] == "ref.png" and card.training["minutes"] > 0
    assert "like ref" in [c.name for c in list_models()]
    # The kept model reproduces the written colours (same engine, same weights after the fp16 round trip).
    kept = colorize(read_image(target_path).pixels, load_model("like ref", device="cpu"))
    assert np.abs(kept.astype(int) - read_image(written).pixels.astype(int)).max() <= 2
    # ... and moves as one file: export then import under another name gives the same outputs.
    f = model_store.export_model("like ref", tmp_path / "like.restorer-model")
    model_store.import_model(f, "like ref 2")
    again = colorize(gray_photo, load_model("like ref 2", device="cpu"))
    assert np.array_equal(again, colorize(gray_photo, load_model("like ref", device="cpu")))


def test_refusals(pair, tiny_model_dir, tmp_path, gray_photo, capsys):
    gray_path = tmp_path / "gray.png"
    Image.fromarray(gray_photo).save(gray_path)
    with pytest.raises(ModelError, match="no colour"):
        train_reference(gray_photo, base="tiny-test", max_steps=1)
    ref_path, target_path = pair
    argv = ["reference", "--ref", str(ref_path), str(target_path), "-o", str(tmp_path / "o"), "--base", "tiny-test"]
    assert cli.main([*argv, "--keep", "../x"]) == 2
    assert "invalid model name" in capsys.readouterr().err
    assert cli.main([*argv, "--keep", "tiny-test-2"]) == 2  # taken, and it would be found only after training
    assert "already exists" in capsys.readouterr().err
    assert cli.main([*argv, "--minutes", "0"]) == 2
    assert cli.main(["reference", "--ref", str(tmp_path / "missing.jpg"), str(target_path), "-o", str(tmp_path)]) == 2
    assert not (tmp_path / "o").exists()
