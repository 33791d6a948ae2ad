"""Model files: export/import round trip, every refused import leaves the models folder unchanged, rename/delete."""
from __future__ import annotations

import hashlib
import json
import pickle
import zipfile

import numpy as np
import pytest

from restorer import cli
from restorer.core import model_store as store
from restorer.core.engine import colorize
from restorer.core.models import ModelError, list_models, load_model, resolve


def snapshot(folder):
    # Recursive: the shipped models folder holds the variations network in a subfolder.
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rewrite(src, dest, card_edit=None, weights=None, extra=None):
    """Copy archive ``src`` to ``dest`` with the card edited and/or weights replaced, checksums made consistent,
    so the refusal under test is the one that fires and not the checksum check."""
    with zipfile.ZipFile(src) as z:
        card = json.loads(z.read(store.CARD))
        w = z.read(store.WEIGHTS)
    if card_edit:
        card_edit(card)
    text = json.dumps(card).encode()
    w = weights if weights is not None else w
    manifest = {"format": store.FORMAT, "sha256": {store.CARD: hashlib.sha256(text).hexdigest(),
                                                   store.WEIGHTS: hashlib.sha256(w).hexdigest()}}
    with zipfile.ZipFile(dest, "w") as z:
        z.writestr(store.MANIFEST, json.dumps(manifest))
        z.writestr(store.CARD, text)
        z.writestr(store.WEIGHTS, w)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return dest


@pytest.fixture
def exported(tiny_model_dir, tmp_path):
    return store.export_model("tiny-test", tmp_path / "tiny.restorer-model")


def test_round_trip_gives_the_same_outputs(exported, tiny_model_dir, gray_photo):
    card = store.import_model(exported, "tiny-copy")
    assert card.path == tiny_model_dir / "tiny-copy.json"
    assert "tiny-copy" in [c.name for c in list_models()]
    a = colorize(gray_photo, load_model("tiny-test", device="cpu"))
    b = colorize(gray_photo, load_model("tiny-copy", device="cpu"))
    assert np.array_equal(a, b)
    assert a.std(axis=2).mean() > 1  # the tint is there: the comparison is of coloured outputs
    with zipfile.ZipFile(exported) as z:
        assert sorted(z.namelist()) == sorted([store.MANIFEST, store.CARD, store.WEIGHTS])


def _unknown_arch(card):
    card["arch"] = "no_such_arch"


def _wrong_kwargs(card):
    card["arch_kwargs"]["base"] = 16  # the stored tensors are for base 8


REFUSALS = {
    "pickle": (lambda src, d: (d.write_bytes(pickle.dumps({"weights": [1, 2]})), d)[1], "pickle"),
    "truncated": (lambda src, d: (d.write_bytes(src.read_bytes()[: src.stat().st_size // 2]), d)[1], "truncated"),
    "renamed photo": (lambda src, d: (d.write_bytes(b"\xff\xd8\xff\xe0" + bytes(200)), d)[1], "not a zip"),
    "unknown arch": (lambda src, d: rewrite(src, d, _unknown_arch), "unknown architecture"),
    "tensors": (lambda src, d: rewrite(src, d, _wrong_kwargs), "has shape"),
    "extra member": (lambda src, d: rewrite(src, d, extra={"run.py": b"import os"}), "unexpected run.py"),
    "bad checksum": (lambda src, d: (d.write_bytes(src.read_bytes().replace(b"tiny-test", b"tiny-tesT")), d)[1],
                     "checksum"),
}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_refused_import_changes_nothing(kind, exported, tiny_model_dir, tmp_path, capsys):
    make, reason = REFUSALS[kind]
    bad = make(exported, tmp_path / f"bad-{kind.replace(' ', '-')}.restorer-model")
    before = snapshot(tiny_model_dir)
    code = cli.main(["models", "import", str(bad), "--name", "fresh-name"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert reason in err and len(err.splitlines()) == 1
    assert snapshot(tiny_model_dir) == before


@pytest.mark.parametrize("name, reason", [("../x", "Use letters"), ("tiny-test-2", "already exists"),
                                          ("TINY-TEST-2", "already exists"), ("vgg16-unet", "shipped model")])
def test_refused_names_change_nothing(name, reason, exported, tiny_model_dir, capsys):
    before = snapshot(tiny_model_dir)
    assert cli.main(["models", "import", str(exported), "--name", name]) == 2
    assert reason in capsys.readouterr().err
    assert snapshot(tiny_model_dir) == before
    assert not (tiny_model_dir.parent / "x.json").exists()


def test_replace_overwrites_an_existing_user_model(exported, tiny_model_dir, gray_photo):
    store.import_model(exported, "tiny-test-2", replace=True)
    a = colorize(gray_photo, load_model("tiny-test", device="cpu"))
    b = colorize(gray_photo, load_model("tiny-test-2", device="cpu"))
    assert np.array_equal(a, b)


def test_rename_and_delete_user_models(tiny_model_dir, gray_photo, capsys):
    before = colorize(gray_photo, load_model("tiny-test", device="cpu"))
    assert cli.main(["models", "rename", "tiny-test", "renamed"]) == 0
    names = [c.name for c in list_models()]
    assert "renamed" in names and "tiny-test" not in names
    assert resolve("renamed").name == "renamed"
    assert np.array_equal(before, colorize(gray_photo, load_model("renamed", device="cpu")))
    assert cli.main(["models", "rename", "renamed", "tiny-test-2"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["models", "delete", "renamed"]) == 0
    assert not list(tiny_model_dir.glob("renamed.*"))
    assert "renamed" not in [c.name for c in list_models()]


@pytest.mark.parametrize("argv", [["rename", "vgg16-unet", "mine"], ["delete", "vgg16-unet"]])
def test_shipped_models_are_read_only(argv, tiny_model_dir, capsys):
    shipped = resolve("vgg16-unet").path
    before = snapshot(shipped.parent)
    assert cli.main(["models", *argv]) == 2
    assert "shipped model" in capsys.readouterr().err
    assert snapshot(shipped.parent) == before


def test_export_refuses_to_overwrite(exported, capsys):
    assert cli.main(["models", "export", "tiny-test", str(exported)]) == 2
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(ModelError, match="must end in"):
        store.export_model("tiny-test", exported.with_suffix(".zip"))
