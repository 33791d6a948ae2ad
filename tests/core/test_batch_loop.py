"""The one batch loop (restorer.core.batch.colorize_files): names, existing-output policy, pause, prefetch,
report rows, and ``restorer colorize`` as a subprocess under SIGINT and SIGKILL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_batch_cli import FAKE_MODEL, fake_colorize, gray, save

from restorer.cli import main
from restorer.core import engine
from restorer.core.atomic import TEMP_PREFIX
from restorer.core.batch import KEEP_BOTH, REPLACE, colorize_files, find_images, remove_stale_temps
from restorer.core.batch_report import REPORT_FIELDS
from restorer.core.io import read_image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(engine, "colorize", fake_colorize())
    monkeypatch.setattr("restorer.core.models.load_model", lambda name, device="auto": FAKE_MODEL)


def two_x(tmp_path: Path) -> list[Path]:
    return [save(tmp_path / "a" / "x.jpg"), save(tmp_path / "b" / "x.jpg", gray(level=30))]


def test_duplicate_names_get_numbered_in_the_loop_and_the_cli(tmp_path, fake_engine, capsys):
    a, b = two_x(tmp_path)
    report = colorize_files(find_images([a, b]), tmp_path / "o1", FAKE_MODEL)
    assert [o.name for _, o in report.done] == ["x_colour.jpg", "x_colour-2.jpg"]
    assert main(["colorize", str(a), str(b), "-o", str(tmp_path / "o2")]) == 0
    assert sorted(p.name for p in (tmp_path / "o2").glob("x_*")) == ["x_colour-2.jpg", "x_colour.jpg"]
    # a rerun plans the same names and skips both
    again = colorize_files(find_images([a, b]), tmp_path / "o1", FAKE_MODEL)
    assert [o.name for _, o in again.skipped] == ["x_colour.jpg", "x_colour-2.jpg"] and not again.done


def test_existing_output_policies(tmp_path, fake_engine, monkeypatch):
    src = save(tmp_path / "in" / "p.jpg")
    out = tmp_path / "out"
    colorize_files(find_images([src]), out, FAKE_MODEL)
    first = (out / "p_colour.jpg").read_bytes()
    monkeypatch.setattr(engine, "colorize", fake_colorize(shift=-40))
    kept = colorize_files(find_images([src]), out, FAKE_MODEL, on_exists=KEEP_BOTH)
    assert [o.name for _, o in kept.done] == ["p_colour-2.jpg"] and (out / "p_colour.jpg").read_bytes() == first
    kept = colorize_files(find_images([src]), out, FAKE_MODEL, on_exists=KEEP_BOTH)
    assert [o.name for _, o in kept.done] == ["p_colour-3.jpg"]
    replaced = colorize_files(find_images([src]), out, FAKE_MODEL, on_exists=REPLACE)
    assert [o.name for _, o in replaced.done] == ["p_colour.jpg"] and (out / "p_colour.jpg").read_bytes() != first
    with pytest.raises(ValueError, match="on_exists"):
        colorize_files(find_images([src]), out, FAKE_MODEL, on_exists="merge")


def test_every_report_row_has_every_field(tmp_path, fake_engine):
    srcs = [save(tmp_path / "in" / f"p{i}.jpg") for i in range(3)]
    (tmp_path / "in" / "bad.jpg").write_bytes(b"not a jpeg")
    rows = []
    report = colorize_files(find_images([tmp_path / "in"]), tmp_path / "out", FAKE_MODEL, strength=1.2,
                            on_result=rows.append)
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["photos"] == rows == report.rows
    assert [Path(r["input"]).name for r in rows] == ["bad.jpg"] + [s.name for s in srcs]
    for r in rows:
        assert set(r) == set(REPORT_FIELDS) and r["model"] == "fake-model" and r["strength"] == 1.2
    assert rows[0]["state"] == "failed" and rows[0]["reason"] and rows[0]["output"].endswith("bad_colour.jpg")
    assert all(r["state"] == "done" and r["seconds"] >= 0 and Path(r["output"]).exists() for r in rows[1:])


def test_prefetch_gives_the_same_files_as_the_plain_loop(tmp_path, fake_engine):
    for i in range(4):
        save(tmp_path / "in" / f"s{i % 2}" / f"p{i}.png", gray(level=10 * i))
    items = find_images([tmp_path / "in"])
    a = colorize_files(items, tmp_path / "a", FAKE_MODEL, prefetch=True)
    b = colorize_files(items, tmp_path / "b", FAKE_MODEL, prefetch=False)
    assert [o.relative_to(tmp_path / "a") for _, o in a.done] == [o.relative_to(tmp_path / "b") for _, o in b.done]
    for (_, oa), (_, ob) in zip(a.done, b.done):
        np.testing.assert_array_equal(read_image(oa).pixels, read_image(ob).pixels)


def test_pause_event_holds_the_batch_and_cancel_still_works(tmp_path, fake_engine):
    for i in range(3):
        save(tmp_path / "in" / f"p{i}.jpg")
    items = find_images([tmp_path / "in"])
    paused = threading.Event()
    paused.set()
    result = {}
    worker = threading.Thread(target=lambda: result.update(r=colorize_files(items, tmp_path / "o", FAKE_MODEL,
                                                                            pause=paused)))
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive() and not list((tmp_path / "o").glob("*_colour.jpg"))
    paused.clear()
    worker.join(10)
    assert len(result["r"].done) == 3
    # paused, then cancelled: returns without doing anything
    stop = threading.Event()
    t = threading.Timer(0.3, stop.set)
    t.start()
    r = colorize_files(items, tmp_path / "o2", FAKE_MODEL, pause=lambda: True, cancel=stop.is_set)
    assert r.cancelled and not r.done


def test_stale_temp_files_are_removed_but_fresh_ones_kept(tmp_path):
    old = tmp_path / f"{TEMP_PREFIX}killed.jpg"
    fresh = tmp_path / f"{TEMP_PREFIX}live.jpg"
    mine = tmp_path / "keep.jpg"
    for p in (old, fresh, mine):
        p.write_bytes(b"x")
    os.utime(old, (time.time() - 60, time.time() - 60))
    os.utime(mine, (time.time() - 60, time.time() - 60))
    assert remove_stale_temps([tmp_path]) == 1
    assert not old.exists() and fresh.exists() and mine.exists()


# ------------------------------------------------------------------------------------ real processes
def _photos(folder: Path, n: int, size: tuple[int, int] = (480, 640)) -> list[Path]:
    rng = np.random.default_rng(0)
    base = gray(*size)
    paths = []
    for i in range(n):
        sub = folder / ("even" if i % 2 == 0 else "odd")
        noisy = np.clip(base.astype(np.int16) + rng.integers(-8, 9, base.shape[:2])[..., None], 0, 255)
        paths.append(save(sub / f"p{i:02d}.jpg", noisy.astype(np.uint8)))
    return paths


def _colorize_cmd(src: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "restorer", "colorize", str(src), "-o", str(out), "--model", "tiny-test",
            "--device", "cpu"]


def _env(models: Path) -> dict[str, str]:
    return dict(os.environ, RESTORER_USER_MODELS=str(models),
                PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _wait_for_done(proc: subprocess.Popen, report: Path, at_least: int, timeout: float = 120) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            done = json.loads(report.read_text(encoding="utf-8"))["counts"]["done"]
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= at_least:
            return done
        time.sleep(0.02)
    raise AssertionError(f"the batch did not reach {at_least} photos (exit {proc.poll()})")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_ctrl_c_in_a_real_process_prints_the_summary_and_exits_130(tmp_path, tiny_model_dir):
    src, out = tmp_path / "in", tmp_path / "out"
    _photos(src, 60, size=(960, 1280))  # an idle machine must not finish before the signal lands
    # A test run started in the background (nohup, CI) inherits SIGINT ignored, and so would the child.
    proc = subprocess.Popen(_colorize_cmd(src, out), env=_env(tiny_model_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_done(proc, out / "report.json", 2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted (Ctrl-C)" in stdout and " colourised, " in stdout and "Traceback" not in stderr
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["interrupted"] and 2 <= data["counts"]["done"] < 60
    written = sorted(p.relative_to(out) for p in out.rglob("*_colour.jpg"))
    assert written == sorted(Path(r["output"]).relative_to(out) for r in data["photos"] if r["state"] == "done")
    assert not [p for p in out.rglob(f"{TEMP_PREFIX}*")]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigkill_mid_batch_then_rerun_skips_done_leaves_no_temp_and_finishes(tmp_path, tiny_model_dir):
    src, out = tmp_path / "in", tmp_path / "out"
    # big enough that an idle machine cannot finish the batch before the kill lands
    photos = _photos(src, 60, size=(960, 1280))
    originals = {p: p.read_bytes() for p in photos}
    proc = subprocess.Popen(_colorize_cmd(src, out), env=_env(tiny_model_dir), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _wait_for_done(proc, out / "report.json", 3)
    proc.kill()
    proc.wait(30)
    killed_report = json.loads((out / "report.json").read_text(encoding="utf-8"))  # a whole report survives
    done_before = {r["input"] for r in killed_report["photos"] if r["state"] == "done"}
    assert 3 <= len(done_before) < 60, "the kill came too late to test anything"
    for p in out.rglob("*_colour.jpg"):  # every output there is whole
        with Image.open(p) as im:
            im.load()
    # what a kill in the middle of an encode leaves (the real one may or may not have left one)
    for leftover in (out / f"{TEMP_PREFIX}report.json", out / "even" / f"{TEMP_PREFIX}p58_colour.jpg"):
        leftover.write_bytes(b"half a file")
        os.utime(leftover, (time.time() - 30, time.time() - 30))

    rerun = subprocess.run(_colorize_cmd(src, out), env=_env(tiny_model_dir), capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "temporary file(s) an interrupted run had left" in rerun.stdout
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    states = {r["input"]: r["state"] for r in data["photos"]}
    assert len(states) == 60 and all(states[i] == "skipped" for i in done_before)
    assert all(s == "done" for i, s in states.items() if i not in done_before)
    assert not [p for p in out.rglob(f"{TEMP_PREFIX}*")]
    assert len(list(out.rglob("*_colour.jpg"))) == 60
    assert {p: p.read_bytes() for p in photos} == originals


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_two_shards_into_one_folder_one_killed_and_rerun(tmp_path, tiny_model_dir):
    src, out = tmp_path / "in", tmp_path / "out"
    _photos(src, 16, size=(240, 320))
    env = _env(tiny_model_dir)
    shards = [subprocess.Popen(_colorize_cmd(src, out) + ["--shard", f"{i}/2"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) for i in range(2)]
    _wait_for_done(shards[0], out / "report-0-of-2.json", 2)
    shards[0].kill()
    shards[0].wait(30)
    assert shards[1].wait(300) == 0
    rerun = subprocess.run(_colorize_cmd(src, out) + ["--shard", "0/2"], env=env, capture_output=True, text=True,
                           timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    merge = subprocess.run([sys.executable, "-m", "restorer", "report", "merge", str(out)], env=env,
                           capture_output=True, text=True, timeout=60)
    assert merge.returncode == 0, merge.stdout + merge.stderr
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sorted(r["input"] for r in data["photos"]) == sorted(str(p) for p, _ in find_images([src]))
    assert len(list(out.rglob("*_colour.jpg"))) == 16 and not list(out.rglob(f"{TEMP_PREFIX}*"))
