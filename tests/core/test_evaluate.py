"""restorer.core.evaluate: the `restorer eval` report on a tiny generated folder with tiny untrained models."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restorer.core import metrics
from restorer.core.eval_parts import model_summary
from restorer.core.evaluate import GRAY, evaluate


def _colour_image(seed: int, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    c0, c1 = rng.integers(30, 226, 3), rng.integers(30, 226, 3)
    img = c0[None, None] * (1 - x[..., None]) + c1[None, None] * x[..., None]
    img[size // 4: size // 2, size // 3: 2 * size // 3] = rng.integers(0, 256, 3)
    img += 25 * np.sin(8 * y)[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """3 colour photos (one in a subfolder), 1 gray photo and 1 corrupt file."""
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    Image.fromarray(_colour_image(1)).save(d / "a.png")
    Image.fromarray(_colour_image(2)).save(d / "b.jpg", quality=95)
    Image.fromarray(_colour_image(3)).save(d / "sub" / "c.png")
    gray = np.repeat(_colour_image(4)[..., :1], 3, axis=2)
    Image.fromarray(gray).save(d / "gray.png")
    (d / "broken.png").write_bytes(b"this is not a PNG")
    return d


def test_eval_report_lists_every_model_and_the_gray_baseline(photo_dir: Path, tmp_path: Path,
                                                             tiny_model_dir: Path) -> None:
    from restorer.cli import main

    out = tmp_path / "report"
    code = main(["eval", "--data", str(photo_dir), "--models", "tiny-test,tiny-test-2", "--hints", "0,5",
                 "--out", str(out), "--device", "cpu", "--seed", "3"])
    assert code == 0
    for name in ("report.json", "report.md", "histograms.png", "hints.png", "examples.png"):
        assert (out / name).stat().st_size > 0, name
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # atomic writes left no temp files

    report = json.loads((out / "report.json").read_text())
    s = report["settings"]
    assert s["n_images"] == 3 and s["skipped"] == {"unreadable": 1, "gray": 1}
    assert sorted(report["images"]) == ["a.png", "b.jpg", "sub/c.png"]
    assert report["restorer_version"] and report["created"]
    rows = {(r["model"], r["hints"]): r for r in report["results"]}
    assert set(rows) == {(GRAY, 0), ("tiny-test", 0), ("tiny-test", 5), ("tiny-test-2", 0), ("tiny-test-2", 5)}
    for r in rows.values():
        assert r["n_images"] == 3 and not r["failures"]
        assert len(r["per_image"]["psnr"]) == 3
        m = r["mean"]
        assert 5 < m["psnr"] < 60 and -1 <= m["ssim"] <= 1
        for k in ("js_a", "js_b"):
            assert 0 <= r["set"][k] <= np.log(2) + 1e-9
    gray = rows[(GRAY, 0)]
    assert gray["baseline"] and gray["mean"]["colourfulness"] == pytest.approx(0.0, abs=0.5)
    # The gray baseline concentrates all chroma at a = b = 0, far from the colourful ground truth.
    assert gray["set"]["kl_a"] > 1.0

    md = (out / "report.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert any(line.startswith(f"| {GRAY} (baseline) |") for line in table)
    for name in ("tiny-test", "tiny-test-2"):
        assert any(line.startswith(f"| {name} | 0 |") for line in table)
        assert any(line.startswith(f"| {name} | 5 |") for line in table)


def test_eval_gray_baseline_matches_direct_metrics(photo_dir: Path, tmp_path: Path) -> None:
    """With no model, the report still has the gray row, and its numbers are the metrics module's."""
    progress: list[float] = []
    report = evaluate(photo_dir, [], [0], out_dir=tmp_path / "r", device="cpu", limit=2, size=48,
                      use_lpips=False, progress=progress.append)
    assert report["settings"]["n_images"] == 2 and progress[-1] == pytest.approx(1.0)
    (row,) = report["results"]
    assert row["model"] == GRAY and row["mean"]["lpips"] is None
    # Recompute the first image by hand: a.png, short side resized to 48 (already square 64 -> 48x48).
    import cv2

    from restorer.core.evaluate import _gray_of

    gt = cv2.resize(np.asarray(Image.open(photo_dir / "a.png").convert("RGB")), (48, 48),
                    interpolation=cv2.INTER_AREA)
    gray = _gray_of(gt)
    assert row["per_image"]["psnr"][0] == pytest.approx(metrics.psnr(gray, gt), abs=1e-6)
    assert row["per_image"]["ssim"][0] == pytest.approx(metrics.ssim(gray, gt), abs=1e-6)
    assert "| gray (baseline) |" in (tmp_path / "r" / "report.md").read_text()


def test_eval_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a folder"):
        evaluate(tmp_path / "missing", [], [0], out_dir=tmp_path / "r")
    with pytest.raises(ValueError, match="hint counts"):
        evaluate(tmp_path, [], [-1], out_dir=tmp_path / "r")


def test_eval_reuses_rows_of_models_not_run_again(photo_dir: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    kw = dict(device="cpu", use_lpips=False, size=48, seed=3)
    both = evaluate(photo_dir, ["tiny-test", "tiny-test-2"], [0, 5], out_dir=tmp_path / "both", **kw)
    again = evaluate(photo_dir, ["tiny-test"], [0, 5], out_dir=tmp_path / "again",
                     reuse=tmp_path / "both" / "report.json", **kw)
    key = [(r["model"], r["hints"]) for r in again["results"]]
    assert key == [(GRAY, 0), ("tiny-test", 0), ("tiny-test-2", 0), ("tiny-test", 5), ("tiny-test-2", 5)]
    assert again["settings"]["reused"]["models"] == ["tiny-test-2"]
    old = {(r["model"], r["hints"]): r for r in both["results"]}
    for r in again["results"]:
        ref = old[(r["model"], r["hints"])]
        assert r["per_image"]["psnr"] == pytest.approx(ref["per_image"]["psnr"])  # re-run and carried alike
        assert r["set"]["js_a"] == pytest.approx(ref["set"]["js_a"])
    assert "carried over" in (tmp_path / "again" / "report.md").read_text()
    with pytest.raises(ValueError, match="other photos or with other settings"):
        evaluate(photo_dir, ["tiny-test"], [0], out_dir=tmp_path / "x", reuse=tmp_path / "both" / "report.json",
                 **kw)


def test_eval_no_lpips_flag_and_reuse_keeps_lpips_consistent(photo_dir: Path, tmp_path: Path,
                                                             tiny_model_dir: Path) -> None:
    """`--no-lpips` leaves LPIPS out; such a report cannot be carried into one that has LPIPS (or back)."""
    from restorer.cli import main
    from restorer.core.lpips import lpips_available

    fast = tmp_path / "fast"
    assert main(["eval", "--data", str(photo_dir), "--models", "tiny-test", "--out", str(fast), "--device", "cpu",
                 "--size", "48", "--no-lpips"]) == 0
    report = json.loads((fast / "report.json").read_text())
    assert report["settings"]["lpips"] == "disabled"
    assert all(r["mean"]["lpips"] is None for r in report["results"])
    assert all(r["mean"]["psnr"] is not None for r in report["results"])
    if not lpips_available()[0]:
        pytest.skip("LPIPS weights are not installed")
    with pytest.raises(ValueError, match="other settings"):
        evaluate(photo_dir, ["tiny-test-2"], [0], out_dir=tmp_path / "x", size=48, device="cpu",
                 reuse=fast / "report.json")


def test_eval_models_at_a_colour_strength_and_by_card_path(photo_dir: Path, tmp_path: Path,
                                                           tiny_model_dir: Path) -> None:
    """``NAME@PCT`` evaluates a model at that colour strength as its own row; a card path is named by its card."""
    card = next(tiny_model_dir.rglob("tiny-test.json"))
    kw = dict(device="cpu", use_lpips=False, size=48)
    rep = evaluate(photo_dir, ["tiny-test", "tiny-test@0", "tiny-test@180", str(card) + "@50"], [0],
                   out_dir=tmp_path / "r", **kw)
    rows = {r["model"]: r for r in rep["results"]}
    assert list(rows) == [GRAY, "tiny-test", "tiny-test@0", "tiny-test@180", "tiny-test@50"]
    cf = {k: r["mean"]["colourfulness"] for k, r in rows.items()}
    assert cf["tiny-test@0"] == pytest.approx(cf[GRAY], abs=0.5)  # no colour of the network's: gray
    assert cf["tiny-test@50"] < cf["tiny-test"] < cf["tiny-test@180"]
    assert rows["tiny-test@0"]["per_image"]["psnr"] == pytest.approx(rows[GRAY]["per_image"]["psnr"], abs=0.05)
    for bad in ("tiny-test@250", "tiny-test@lots"):
        with pytest.raises(ValueError, match="percentage from 0 to 200"):
            evaluate(photo_dir, [bad], [0], out_dir=tmp_path / "x", **kw)


def test_eval_without_matplotlib_writes_the_report_and_says_why_no_figures(photo_dir: Path, tmp_path: Path,
                                                                           monkeypatch, capsys) -> None:
    from restorer.core import eval_report

    monkeypatch.setattr(eval_report, "have_matplotlib", lambda: False)
    report = evaluate(photo_dir, [], [0], out_dir=tmp_path / "r", device="cpu", limit=2, size=48, use_lpips=False)
    assert report["settings"]["n_images"] == 2
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["report.json", "report.md"]
    assert "restorer[eval]" in capsys.readouterr().err


def test_false_colour_counts_on_known_pixels() -> None:
    """Loud chroma on a neutral truth counts as false colour; opposite hues count as hue errors."""
    gt = np.zeros((1, 4, 3), np.float32)
    pred = np.zeros((1, 4, 3), np.float32)
    gt[0, 0, 1:] = (2, 2)      # neutral truth ...
    pred[0, 0, 1:] = (25, 0)   # ... painted loud: false colour
    gt[0, 1, 1:] = (0, 3)      # neutral truth, quiet prediction: fine
    pred[0, 1, 1:] = (5, 5)
    gt[0, 2, 1:] = (30, 0)     # red truth ...
    pred[0, 2, 1:] = (-30, 5)  # ... painted green: hue error
    gt[0, 3, 1:] = (0, 30)     # yellow truth, 45 degrees off: no hue error
    pred[0, 3, 1:] = (20, 20)
    counts = metrics.false_colour_counts(pred, gt)
    assert counts.tolist() == [1, 2, 1, 2]
    assert metrics.false_colour_shares(counts) == (0.5, 0.5)
    assert metrics.false_colour_shares(np.zeros(4)) == (None, None)


def test_eval_reports_false_colour_and_parts(photo_dir: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    """Parts by file-name prefix and by a named list; the gray baseline never paints false colour."""
    from restorer.cli import main

    for i, name in enumerate(("street_1.png", "street_2.png", "face_1.png")):
        Image.fromarray(_colour_image(10 + i)).save(photo_dir / name)
    listing = tmp_path / "unseen.txt"
    listing.write_text("# two of them\nstreet_2.png\nface_1.png\n")
    out = tmp_path / "report"
    code = main(["eval", "--data", str(photo_dir), "--models", "tiny-test", "--out", str(out), "--device", "cpu",
                 "--no-lpips", "--part", f"unseen={listing}"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    gray = next(r for r in report["results"] if r["baseline"])
    assert gray["set"]["false_colour"] == 0.0
    model = next(r for r in report["results"] if not r["baseline"])
    assert model["set"]["false_colour"] is not None and len(model["per_image"]["false_colour"]) == 6
    parts = report["parts"]
    assert {p: parts[p][0]["n"] for p in ("street", "face", "unseen")} == {"street": 2, "face": 1, "unseen": 2}
    assert parts["unseen"][0]["gain_over_gray"] == 0.0  # the gray row against itself
    street_psnr = [v for v, rel in zip(model["per_image"]["psnr"], report["images"]) if rel.startswith("street")]
    assert parts["street"][1]["psnr"] == pytest.approx(sum(street_psnr) / 2)
    md = (out / "report.md").read_text()
    assert "## By part" in md and "| unseen | 2 | tiny-test | 0 |" in md
    # What a model card keeps of the row (full_val): the set's numbers and each named part's gain over gray.
    card = model_summary(report, "tiny-test")
    assert card["psnr"] == round(model["mean"]["psnr"], 2) and card["gray_psnr"] == round(gray["mean"]["psnr"], 2)
    assert card["false_colour"] == round(model["set"]["false_colour"], 4) and card["n_images"] == 6
    assert card["gain_over_gray_by_part"]["street"] == round(parts["street"][1]["gain_over_gray"], 2)
    assert set(card["gain_over_gray_by_part"]) == {"street", "face", "unseen"}
    with pytest.raises(KeyError, match="no row of 'other'"):
        model_summary(report, "other")
    assert main(["eval", "--data", str(photo_dir), "--out", str(out), "--part", "broken"]) == 2
