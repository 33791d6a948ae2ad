"""Sharded batches (``restorer colorize --shard I/N``) and ``restorer report merge``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_batch_cli import FAKE_MODEL, fake_colorize, save

from restorer.cli import main
from restorer.core import engine
from restorer.core.batch import colorize_files, find_images
from restorer.core.batch_report import merge_reports
from restorer.core.shard import ShardError, parse_shard, shard_of


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(engine, "colorize", fake_colorize())
    monkeypatch.setattr("restorer.core.models.load_model", lambda name, device="auto": FAKE_MODEL)


RELS = [Path(f"box{i % 5}/roll{i % 3}/scan_{i:04d}.tif") for i in range(300)]


@pytest.mark.parametrize("n", range(1, 8))
def test_every_photo_lands_in_exactly_one_shard_and_shards_are_balanced(n):
    owners = [shard_of(r, n) for r in RELS]
    assert all(0 <= o < n for o in owners)
    sizes = [owners.count(i) for i in range(n)]
    assert sum(sizes) == len(RELS) and min(sizes) > 0.5 * len(RELS) / n


def test_adding_files_never_moves_a_photo_to_another_shard():
    before = {r: shard_of(r, 4) for r in RELS[:150]}
    after = {r: shard_of(r, 4) for r in RELS}  # 150 more photos in the same folders
    assert all(after[r] == s for r, s in before.items())
    assert shard_of("a/b.jpg", 4) == shard_of(Path("a") / "b.jpg", 4)  # the same on every OS


def test_parse_shard_text_and_environments():
    assert parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "-1/3", "1", "a/b", "1/0"):
        with pytest.raises(ShardError):
            parse_shard(bad)
    slurm = {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"}
    assert parse_shard("auto", slurm) == (3, 8)
    assert parse_shard("auto", {"JOB_COMPLETION_INDEX": "0", "RESTORER_SHARD_COUNT": "3"}) == (0, 3)
    with pytest.raises(ShardError, match="RESTORER_SHARD_COUNT"):
        parse_shard("auto", {"JOB_COMPLETION_INDEX": "0"})
    with pytest.raises(ShardError, match="neither a Slurm job array"):
        parse_shard("auto", {})
    with pytest.raises(ShardError, match="out of range"):
        parse_shard("auto", {"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "4"})


def _album(root: Path, n: int = 12) -> Path:
    for i in range(n):
        save(root / f"d{i % 3}" / f"p{i:02d}.jpg")
    save(root / "d0" / "same.jpg")
    save(root / "d1" / "same.jpg")
    return root


def test_shards_cover_the_batch_once_and_name_outputs_as_the_whole_batch(tmp_path, fake_engine):
    src = _album(tmp_path / "in")
    items = find_images([src / "d0" / "same.jpg", src / "d1" / "same.jpg", src])  # named files clash
    whole = colorize_files(items, tmp_path / "whole", FAKE_MODEL)
    for n in (1, 2, 3, 7):
        out = tmp_path / f"out{n}"
        done = []
        for i in range(n):
            r = colorize_files(items, out, FAKE_MODEL, shard=(i, n), report_stem=f"report-{i}-of-{n}")
            done += [(s, o.relative_to(out)) for s, o in r.done]
        assert sorted(done) == sorted((s, o.relative_to(tmp_path / "whole")) for s, o in whole.done)


def test_cli_shards_then_merge_lists_missing_and_failed(tmp_path, fake_engine, capsys):
    src = _album(tmp_path / "in")
    (src / "d2" / "broken.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "out"
    codes = [main(["colorize", str(src), "-o", str(out), "--shard", f"{i}/3"]) for i in (0, 1)]
    assert set(codes) <= {0, 1}
    capsys.readouterr()
    assert main(["report", "merge", str(out)]) == 1
    text = capsys.readouterr().out
    assert "missing: shard 2/3 has no report" in text
    main(["colorize", str(src), "-o", str(out), "--shard", "2/3"])
    capsys.readouterr()
    assert main(["report", "merge", str(out)]) == 1  # the broken photo failed
    text = capsys.readouterr().out
    assert "failed: " in text and "broken.jpg" in text and "missing" not in text
    merged = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert merged["merged_from"] == ["0/3", "1/3", "2/3"]
    # every photo exactly once over the three shards
    assert sorted(r["input"] for r in merged["photos"]) == sorted(str(p) for p, _ in find_images([src]))


def test_a_cancelled_shard_lists_what_it_still_has_to_do(tmp_path, fake_engine):
    src = _album(tmp_path / "in")
    items = find_images([src])
    calls = []
    r = colorize_files(items, tmp_path / "out", FAKE_MODEL, shard=(0, 2), report_stem="report-0-of-2",
                       cancel=lambda: len(calls) >= 2, progress=lambda d, n, p: calls.append(p) if p else None)
    assert r.cancelled
    merged = merge_reports(tmp_path / "out")
    assert merged.pending and merged.missing_shards == ["1/2"] and not merged.complete
    mine = [s for s, rel in items if shard_of(rel, 2) == 0]
    assert set(merged.pending) | {row["input"] for row in merged.rows} == {str(s) for s in mine}


def test_cli_shard_auto_without_a_scheduler_says_so(tmp_path, fake_engine, capsys, monkeypatch):
    for var in ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"):
        monkeypatch.delenv(var, raising=False)
    save(tmp_path / "in" / "a.jpg")
    assert main(["colorize", str(tmp_path / "in"), "-o", str(tmp_path / "o"), "--shard", "auto"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --shard auto: neither") and "Traceback" not in err
    assert main(["report", "merge", str(tmp_path / "in")]) == 2
