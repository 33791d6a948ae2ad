"""``restorer colorize --engine ray``: same outputs, names and report as the local engine; clear usage messages."""
import json

import numpy as np
import pytest
from PIL import Image

from restorer.cli import main
from restorer.core import ray_engine


def _photos(folder):
    """Five small gray scans (PNG, JPEG, one in a subfolder), a broken file and a name clash across folders."""
    y, x = np.mgrid[0:48, 0:64].astype(np.float32)
    (folder / "box" / "roll").mkdir(parents=True)
    for i, name in enumerate(["a.png", "b.jpg", "box/c.png", "box/roll/d.jpg", "box/a.png"]):
        g = np.clip(40 + 150 * (x / 63) + 30 * np.sin(y / (4 + i)), 0, 255).astype(np.uint8)
        Image.fromarray(np.repeat(g[..., None], 3, 2)).save(folder / name, quality=95)
    (folder / "broken.jpg").write_bytes(b"not a jpeg")


def _report(out):
    rows = json.loads((out / "report.json").read_text())["photos"]
    return [(r["input"], str(r["output"]).replace(str(out), "OUT"), r["state"], r["reason"]) for r in rows]


def test_usage_problems_are_one_line(monkeypatch):
    assert ray_engine.usage_problem("local", None, None) is None
    assert ray_engine.usage_problem("local", "10.0.0.1:6379", None) == "--address goes with --engine ray"
    assert "do not go together" in ray_engine.usage_problem("ray", None, "0/2")
    monkeypatch.setattr(ray_engine.importlib.util, "find_spec", lambda name: None)
    assert ray_engine.usage_problem("ray", None, None) == ray_engine.RAY_MISSING


def test_without_ray_installed_the_command_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ray_engine.importlib.util, "find_spec", lambda name: None)
    _photos(tmp_path / "in")
    assert main(["colorize", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--engine", "ray"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {ray_engine.RAY_MISSING}" and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_an_unreachable_cluster_is_one_line_and_quick(tmp_path, tiny_model_dir, capsys, monkeypatch):
    import socket

    pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[cluster]')")
    with socket.socket() as s:  # a free port on this machine that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _photos(tmp_path / "in")
    assert main(["colorize", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", "tiny-test",
                 "--engine", "ray", "--address", f"127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot reach the Ray cluster at 127.0.0.1:{port}: ") and "\n" not in err


def test_pool_shape_uses_gpus_when_the_cluster_has_them():
    assert ray_engine.pool_shape({"CPU": 32.0, "GPU": 4.0}, "auto") == (4, {"num_gpus": 1, "num_cpus": 1}, None)
    assert ray_engine.pool_shape({"CPU": 32.0, "GPU": 4.0}, "cpu") == (16, {"num_cpus": 2}, 2)
    assert ray_engine.pool_shape({"CPU": 2.0}, "auto") == (1, {"num_cpus": 2}, 2)
    assert ray_engine.pool_shape({"CPU": 1.0}, "auto") == (1, {"num_cpus": 1}, 1)


@pytest.mark.slow
def test_ray_engine_equals_the_local_engine(tmp_path, tiny_model_dir, capsys):
    pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[cluster]')")
    src = tmp_path / "in"
    _photos(src)
    common = [str(src / "box"), str(src / "a.png"), str(src / "b.jpg"), str(src / "broken.jpg"),
              "--model", "tiny-test", "--device", "cpu"]
    for engine in ("local", "ray"):
        (tmp_path / engine).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / engine / "b_colour.jpg")  # already done: skipped by both
    assert main(["colorize", *common, "-o", str(tmp_path / "local")]) == 1  # the broken file fails
    assert main(["colorize", *common, "-o", str(tmp_path / "ray"), "--engine", "ray"]) == 1
    out = capsys.readouterr().out
    assert "4 colourised, 1 skipped (exists), 1 failed" in out
    local, ray = _report(tmp_path / "local"), _report(tmp_path / "ray")
    assert local == ray and [r[2] for r in ray].count("done") == 4
    for _, output, state, _ in ray:
        if state == "done":
            a = np.asarray(Image.open(output.replace("OUT", str(tmp_path / "local"))), dtype=np.int16)
            b = np.asarray(Image.open(output.replace("OUT", str(tmp_path / "ray"))), dtype=np.int16)
            assert a.shape == b.shape and np.abs(a - b).max() <= 2, output
    assert (tmp_path / "ray" / "roll" / "d_colour.jpg").is_file() and (tmp_path / "ray" / "a_colour-2.png").is_file()
    assert not list((tmp_path / "ray").rglob(".restorer-*"))


def test_a_worker_writes_what_the_local_engine_writes_without_ray(tmp_path, tiny_model_dir):
    """The actor's per-photo work, called in this process (CI has no Ray): same pixels, names, states."""
    src = tmp_path / "in"
    _photos(src)
    assert main(["colorize", str(src), "-o", str(tmp_path / "local"), "--model", "tiny-test", "--device", "cpu"]) == 1
    rows = json.loads((tmp_path / "local" / "report.json").read_text())["photos"]
    local, other = str(tmp_path / "local"), str(tmp_path / "worker")
    options = dict(fmt=None, quality=95, strength=1.0, max_pixels=10 ** 8, hints=None, no_hints=False)
    worker = ray_engine.PhotoWorker("tiny-test", "cpu", 1, options)
    batch = {"index": np.arange(len(rows)), "src": np.array([r["input"] for r in rows], dtype=object),
             "out": np.array([r["output"].replace(local, other) for r in rows], dtype=object),
             "replace": np.zeros(len(rows), bool)}
    (tmp_path / "worker" / "box" / "roll").mkdir(parents=True)
    got = worker(batch)
    assert got["index"] == list(range(len(rows))) and got["state"] == [r["state"] for r in rows]
    assert got["reason"] == [r["reason"] for r in rows]
    for r in rows:
        if r["state"] == "done":
            a = np.asarray(Image.open(r["output"]), dtype=np.int16)
            b = np.asarray(Image.open(r["output"].replace(local, other)), dtype=np.int16)
            assert np.abs(a - b).max() <= 2
