"""``restorer bench``'s batch throughput runs through the one batch loop (restorer.core.batch.colorize_files)."""
from __future__ import annotations

from pathlib import Path

from restorer.core import batch
from restorer.core.bench import measure_batch, synthetic_photo
from restorer.core.io import write_image
from restorer.core.models import load_model


def test_bench_batch_uses_the_batch_loop_and_counts_failures(tmp_path, tiny_model_dir, monkeypatch):
    files = [Path(write_image(tmp_path / "a" / "x.jpg", synthetic_photo(0.02, seed=1))),
             Path(write_image(tmp_path / "b" / "x.jpg", synthetic_photo(0.02, seed=2)))]  # same name twice
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"no jpeg")
    calls = []
    real = batch.colorize_files
    monkeypatch.setattr(batch, "colorize_files", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    out = tmp_path / "out"
    r = measure_batch(load_model("tiny-test", device="cpu"), files + [broken], out)
    assert calls == [1]
    assert r["images"] == 2 and r["failed"] == 1 and r["images_per_s"] > 0
    assert abs(r["megapixels"] - sum(synthetic_photo(0.02, seed=s).shape[0] * synthetic_photo(0.02, seed=s).shape[1]
                                     for s in (1, 2)) / 1e6) < 1e-9
    assert (out / "report.json").exists()
    # measured again into the same folder: replaced, not skipped
    assert measure_batch(load_model("tiny-test", device="cpu"), files, out)["images"] == 2
