"""restorer.core.batch and ``restorer colorize``: discovery, output planning, per-file failures, exit codes.

Most tests replace the network with a fake ``engine.colorize`` (a fixed tint) so they are instant; one test
runs the real engine end to end with the untrained tiny model from ``tiny_model_dir`` (tests/conftest.py).
"""
from __future__ import annotations

import errno
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from restorer.cli import main
from restorer.core import batch_cli, engine
from restorer.core import metrics as M
from restorer.core.batch import BatchReport, colorize_files, find_images, output_path_for, plan_outputs
from restorer.core.io import read_image

FAKE_MODEL = SimpleNamespace(card=SimpleNamespace(name="fake-model"))


def gray(h: int = 20, w: int = 28, level: int = 0) -> np.ndarray:
    g = (np.add.outer(np.arange(h) * 3, np.arange(w) * 5) + 40 + level) % 200 + 20
    return np.repeat(g.astype(np.uint8)[..., None], 3, axis=2)


def save(path: Path, pixels: np.ndarray | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(gray() if pixels is None else pixels).save(path, quality=95)
    return path


def fake_colorize(shift: int = 40):
    """Stand-in for engine.colorize: warms the image (so outputs are visibly colour) and reports progress."""
    def colorize(pixels, model, hints=None, *, progress=None, cancel=None, preview=False, strength=1.0, **kw):
        if cancel is not None and cancel():
            raise engine.Cancelled()
        if progress is not None:
            progress(0.5)
        out = pixels.astype(np.int32)
        top = 65535 if pixels.dtype == np.uint16 else 255
        out[..., 0] += shift * (top // 255)
        out[..., 2] -= shift * (top // 255)
        return np.clip(out, 0, top).astype(pixels.dtype)
    return colorize


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(engine, "colorize", fake_colorize())
    monkeypatch.setattr("restorer.core.models.load_model", lambda name, device="auto": FAKE_MODEL)


@pytest.fixture
def album(tmp_path: Path) -> Path:
    """scans/ with a.jpg, sub/b.png, a corrupt c.jpg, plus things a folder scan must ignore."""
    root = tmp_path / "scans"
    save(root / "a.jpg")
    save(root / "sub" / "b.png")
    (root / "c.jpg").write_bytes((root / "a.jpg").read_bytes()[:300])  # truncated JPEG
    (root / "notes.txt").write_text("not a photo")
    save(root / ".hidden.jpg")
    save(root / ".thumbs" / "t.jpg")
    save(root / ".restorer-abc123.jpg")  # a temp file left by a crash elsewhere
    return root


# ------------------------------------------------------------------------------------------ discovery
def test_find_images_folder(album: Path) -> None:
    items = find_images([album])
    assert [(p.relative_to(album).as_posix(), rel.as_posix()) for p, rel in items] == [
        ("a.jpg", "a.jpg"), ("c.jpg", "c.jpg"), ("sub/b.png", "sub/b.png")]


def test_find_images_explicit_files_and_dedup(album: Path, tmp_path: Path) -> None:
    items = find_images([album / "notes.txt", album / "a.jpg", album, tmp_path / "missing.jpg"])
    names = [rel.as_posix() for _, rel in items]
    # Named files are kept even if unsupported or missing (the batch reports why); a.jpg appears once.
    assert names == ["notes.txt", "a.jpg", "c.jpg", "sub/b.png", "missing.jpg"]


def test_find_images_excludes_output_inside_input(album: Path) -> None:
    save(album / "colour" / "a_colour.jpg")
    assert all("colour" not in p.parts for p, _ in find_images([album], exclude=[album / "colour"]))
    assert any("colour" in p.parts for p, _ in find_images([album]))


def test_output_path_for(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert output_path_for(Path("x/sub/Photo.JPG"), Path("sub/Photo.JPG"), out) == out / "sub" / "Photo_colour.jpg"
    assert output_path_for(Path("a.png"), Path("a.png"), out, suffix="-c", fmt="tiff") == out / "a-c.tif"
    assert output_path_for(Path("a.png"), Path("a.png"), out, fmt="jpeg") == out / "a_colour.jpg"


def test_plan_outputs_numbers_clashes(tmp_path: Path) -> None:
    items = [(Path("d1/x.jpg"), Path("x.jpg")), (Path("d2/x.jpg"), Path("x.jpg")), (Path("x.png"), Path("x.png"))]
    outs = [o.name for _, o in plan_outputs(items, tmp_path, fmt="png")]
    assert outs == ["x_colour.png", "x_colour-2.png", "x_colour-3.png"]


# ------------------------------------------------------------------------------------------ colorize_files
def test_colorize_files_reports_and_carries_on(album: Path, tmp_path: Path, fake_engine) -> None:
    out = tmp_path / "out"
    calls = []
    report = colorize_files(find_images([album]), out, FAKE_MODEL,
                            progress=lambda d, n, p: calls.append((d, n, p)))
    assert isinstance(report, BatchReport)
    assert [o.relative_to(out).as_posix() for _, o in report.done] == ["a_colour.jpg", "sub/b_colour.png"]
    assert [(p.name, r) for p, r in report.failed] == [("c.jpg", "truncated or corrupt JPEG")]
    assert report.skipped == [] and not report.ok
    written = read_image(out / "sub" / "b_colour.png")
    assert written.was_color and b"fake-model" in written.xmp
    assert calls[-1] == (3, 3, None)
    assert (0.5, 3, album / "a.jpg") in calls  # engine progress arrives as a fraction of the current file
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_colorize_files_skips_existing_and_overwrites(album: Path, tmp_path: Path, monkeypatch, fake_engine) -> None:
    items = find_images([album / "a.jpg"])
    out = tmp_path / "out"
    assert len(colorize_files(items, out, FAKE_MODEL).done) == 1
    first = read_image(out / "a_colour.jpg").pixels
    monkeypatch.setattr(engine, "colorize", fake_colorize(shift=-40))
    report = colorize_files(items, out, FAKE_MODEL)
    assert report.skipped == [(album / "a.jpg", out / "a_colour.jpg")] and report.done == []
    np.testing.assert_array_equal(read_image(out / "a_colour.jpg").pixels, first)
    report = colorize_files(items, out, FAKE_MODEL, overwrite=True)
    assert len(report.done) == 1
    assert np.abs(read_image(out / "a_colour.jpg").pixels.astype(int) - first).mean() > 20


def test_output_equal_to_input_is_refused(album: Path, fake_engine) -> None:
    before = (album / "a.jpg").read_bytes()
    report = colorize_files([(album / "a.jpg", Path("a.jpg"))], album, FAKE_MODEL, suffix="", overwrite=True)
    assert report.done == [] and "overwrite an input" in report.failed[0][1]
    assert (album / "a.jpg").read_bytes() == before


def test_internal_errors_and_unsupported_are_per_file(album: Path, tmp_path: Path, monkeypatch) -> None:
    def broken(pixels, model, hints=None, **kwargs):
        raise RuntimeError("boom\nwith a second line")

    monkeypatch.setattr(engine, "colorize", broken)
    report = colorize_files(find_images([album / "notes.txt", album / "a.jpg"]), tmp_path / "o", FAKE_MODEL)
    reasons = dict((p.name, r) for p, r in report.failed)
    assert reasons["notes.txt"].startswith("unsupported file type '.txt'")
    assert reasons["a.jpg"] == "internal error: RuntimeError: boom with a second line"


def test_cancel_between_files(album: Path, tmp_path: Path, fake_engine) -> None:
    seen = []
    report = colorize_files(find_images([album]), tmp_path / "o", FAKE_MODEL,
                            progress=lambda d, n, p: seen.append(p), cancel=lambda: len(seen) >= 1)
    # The first file starts, the engine sees cancel() and stops; nothing after it runs.
    assert report.cancelled and report.done == [] and report.failed == []
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").rglob("*_colour*"))


# --------------------------------------------------------------------------------------------------- CLI
def test_cli_folder_with_a_corrupt_file(album: Path, tmp_path: Path, capsys, fake_engine) -> None:
    out = tmp_path / "out"
    assert main(["colorize", str(album), "-o", str(out)]) == 1
    assert (out / "a_colour.jpg").is_file() and (out / "sub" / "b_colour.png").is_file()
    assert not (out / "c_colour.jpg").exists()
    cap = capsys.readouterr()
    errors = [line for line in cap.err.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {album / 'c.jpg'}: truncated or corrupt JPEG"]
    assert "Traceback" not in cap.err + cap.out
    assert f"2 colourised, 0 skipped (exists), 1 failed -> {out}" in cap.out
    assert not list(out.rglob(".restorer-*"))

    assert main(["colorize", str(album), "-o", str(out)]) == 1  # the corrupt file still fails
    assert "0 colourised, 2 skipped (exists), 1 failed" in capsys.readouterr().out

    before = (out / "a_colour.jpg").stat().st_mtime_ns
    os.utime(out / "a_colour.jpg", ns=(before - 10**9, before - 10**9))
    assert main(["colorize", str(album / "a.jpg"), str(album / "sub"), "-o", str(out), "--overwrite"]) == 0
    assert "2 colourised, 0 skipped (exists), 0 failed" in capsys.readouterr().out
    assert (out / "a_colour.jpg").stat().st_mtime_ns > before - 10**9
    assert (out / "b_colour.png").is_file()  # a folder named on its own is the root of its relative paths


def test_cli_output_into_the_input_folder_does_not_recolourise(album: Path, capsys, fake_engine) -> None:
    assert main(["colorize", str(album), "-o", str(album)]) == 1
    assert (album / "a_colour.jpg").is_file() and (album / "sub" / "b_colour.png").is_file()
    capsys.readouterr()
    assert main(["colorize", str(album), "-o", str(album)]) == 1  # c.jpg is still corrupt
    assert "0 colourised, 2 skipped (exists), 1 failed" in capsys.readouterr().out
    assert not list(album.rglob("*_colour_colour*"))


def test_cli_format_and_suffix(album: Path, tmp_path: Path, capsys, fake_engine) -> None:
    out = tmp_path / "o"
    assert main(["colorize", str(album / "sub" / "b.png"), "-o", str(out), "--format", "tiff",
                 "--suffix=-c"]) == 0
    assert read_image(out / "b-c.tif").format == "TIFF"


def test_cli_output_dir_is_an_input_file(album: Path, capsys, fake_engine) -> None:
    before = (album / "a.jpg").read_bytes()
    assert main(["colorize", str(album / "a.jpg"), "-o", str(album / "a.jpg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is an existing file" in err and "Traceback" not in err
    assert (album / "a.jpg").read_bytes() == before


def test_cli_no_inputs(tmp_path: Path, capsys, fake_engine) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["colorize", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 2
    assert "no supported images found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_missing_input_file_is_a_failure(album: Path, tmp_path: Path, capsys, fake_engine) -> None:
    assert main(["colorize", str(album / "a.jpg"), str(tmp_path / "ghost.jpg"), "-o", str(tmp_path / "o")]) == 1
    assert f"error: {tmp_path / 'ghost.jpg'}: no such file" in capsys.readouterr().err


def test_cli_unwritable_output(album: Path, tmp_path: Path, capsys, monkeypatch, fake_engine) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.name == "posix" and os.geteuid() != 0:
        locked.chmod(0o500)
    else:  # root ignores mode bits: simulate the refusal
        def deny(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(batch_cli.tempfile, "TemporaryFile", deny)
    try:
        assert main(["colorize", str(album / "a.jpg"), "-o", str(locked / "out")]) == 2
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err
    assert "permission denied" in err and "Traceback" not in err


def test_cli_unknown_model_lists_available(album: Path, tmp_path: Path, capsys, tiny_model_dir) -> None:
    assert main(["colorize", str(album / "a.jpg"), "-o", str(tmp_path / "o"), "--model", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nope" in err and "tiny-test" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_end_to_end_with_tiny_model(tmp_path: Path, capsys, tiny_model_dir) -> None:
    src = tmp_path / "in" / "old.jpg"
    exif = Image.Exif()
    exif[0x013B] = "Grandpa"
    src.parent.mkdir()
    Image.fromarray(gray(40, 56)).save(src, exif=exif, quality=95)
    out = tmp_path / "out"
    assert main(["colorize", str(src.parent), "-o", str(out), "--model", "tiny-test", "--device", "cpu"]) == 0
    assert "1 colourised, 0 skipped (exists), 0 failed" in capsys.readouterr().out
    result = read_image(out / "old_colour.jpg")
    assert result.size == (56, 40) and result.was_color  # the tiny model's head bias adds a tint
    with Image.open(out / "old_colour.jpg") as im:
        assert im.getexif()[0x013B] == "Grandpa"
    assert b'restorer:Model="tiny-test"' in result.xmp


def test_cli_output_cut_short_by_a_closed_pipe_is_not_an_error_trace() -> None:
    import subprocess
    import sys

    # `restorer models | head`: here the reader is gone before the listing is written
    proc = subprocess.Popen([sys.executable, "-m", "restorer.cli", "models"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_cli_colour_strength(tmp_path: Path, capsys, tiny_model_dir) -> None:
    src = tmp_path / "in" / "old.png"
    src.parent.mkdir()
    Image.fromarray(gray(40, 56)).save(src)
    chroma = {}
    for pct in ("0", "100", "180"):
        out = tmp_path / f"out{pct}"
        assert main(["colorize", str(src), "-o", str(out), "--model", "tiny-test", "--strength", pct]) == 0
        lab = M.to_lab(read_image(out / "old_colour.png").pixels)
        chroma[pct] = float(np.hypot(lab[..., 1], lab[..., 2]).mean())
    assert chroma["0"] < 1.0 < chroma["100"] < chroma["180"]
    capsys.readouterr()
    assert main(["colorize", str(src), "-o", str(tmp_path / "bad"), "--strength", "250"]) == 2
    assert "--strength must be a percentage between 0 and 200" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_report_json_and_csv_list_every_photo(fake_engine, album, tmp_path, capsys):
    import csv
    import json

    out = tmp_path / "out"
    assert main(["colorize", str(album), "-o", str(out)]) == 1  # c.jpg is corrupt
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    states = {Path(r["input"]).name: r["state"] for r in data["photos"]}
    assert states["c.jpg"] == "failed" and states["a.jpg"] == "done"
    assert data["counts"]["failed"] == 1 and data["counts"]["done"] == len(data["photos"]) - 1
    failed = next(r for r in data["photos"] if r["state"] == "failed")
    assert failed["reason"] and failed["model"] == "fake-model" and failed["strength"] == 1.0
    rows = list(csv.DictReader((out / "report.csv").open(encoding="utf-8")))
    assert [r["input"] for r in rows] == [r["input"] for r in data["photos"]]
    # a rerun skips what is done and says so in its report
    assert main(["colorize", str(album), "-o", str(out)]) == 1
    again = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert {r["state"] for r in again["photos"] if Path(r["input"]).name != "c.jpg"} == {"skipped"}


def test_ctrl_c_prints_summary_and_exits_130(monkeypatch, tmp_path, capsys):
    import json

    monkeypatch.setattr("restorer.core.models.load_model", lambda name, device="auto": FAKE_MODEL)
    real = fake_colorize()
    calls = []

    def interrupted(pixels, model, hints=None, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(pixels, model, hints, **kw)

    monkeypatch.setattr(engine, "colorize", interrupted)
    src = tmp_path / "in"
    for i in range(3):
        save(src / f"p{i}.jpg")
    out = tmp_path / "out"
    assert main(["colorize", str(src), "-o", str(out)]) == 130
    text = capsys.readouterr().out
    assert "1 colourised" in text and "interrupted" in text
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["interrupted"] and [r["state"] for r in data["photos"]] == ["done"]
    assert sorted(p.name for p in out.iterdir()) == ["p0_colour.jpg", "report.csv", "report.json"]
