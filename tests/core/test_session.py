"""restorer.core.session: the app's open photos without Qt (documents, generations, previews, kept pixels)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restorer.core.session import PhotoSession


@dataclass
class Result:  # what the app's ColorizeResult offers the session
    recipe: tuple
    token: Any


class Hints(list):
    pass


def _session(tmp_path: Path, n: int = 3, **kw) -> tuple[PhotoSession, list]:
    s = PhotoSession(lambda hints: tuple(hints), **kw)
    docs = [s.add(tmp_path / f"p{i}.png", Hints(), object()) for i in range(n)]
    return s, docs


def test_documents_are_keyed_by_resolved_path_in_the_order_added(tmp_path):
    s, docs = _session(tmp_path)
    assert s.get(tmp_path / "sub" / ".." / "p1.png") is docs[1]
    assert s.add(tmp_path / "p1.png", Hints(), None) is docs[1] and len(s) == 3  # added once
    assert tmp_path / "p2.png" in s and tmp_path / "p9.png" not in s and 42 not in s
    docs[0].error = "cannot be read"
    assert s.readable() == docs[1:] and list(s) == docs


def test_only_the_current_and_the_previous_photo_keep_their_pixels(tmp_path):
    s, docs = _session(tmp_path)
    for d in docs:
        d.image, d.display, d.full = "pixels", "qimage", "full"
        s.select(d)
        s.shown(d)
    assert [d.image for d in docs] == [None, "pixels", "pixels"]
    assert docs[0].display is None and docs[0].full is None
    s.select(docs[1])
    s.shown(docs[1])  # back to the previous photo: nothing needs decoding again
    assert docs[1].image == docs[2].image == "pixels"


def test_results_of_an_older_generation_are_not_wanted(tmp_path):
    s, docs = _session(tmp_path)
    s.select(docs[0])
    s.next_generation()
    old = Result(s.recipe(docs[0], "m"), s.token(docs[0]))
    assert s.owner(old) == (docs[0], True)
    s.next_generation()  # the user changed something
    assert s.owner(old) == (docs[0], False)
    s.select(docs[1])
    assert s.owner(Result((), s.token(docs[0]))) == (docs[0], False)  # not the photo on screen
    assert s.owner(Result((), (s.generation, tmp_path / "closed.png"))) == (None, False)


def test_previews_are_bounded_least_recently_used_first(tmp_path):
    s, (doc, *_) = _session(tmp_path, max_previews=3)
    for strength in (1.0, 0.6, 0.8):
        s.keep_preview(doc, Result(s.recipe(doc, "m", strength), None))
    assert s.cached_preview(doc, "m", 1.0) is not None  # used again: now the most recent
    s.keep_preview(doc, Result(s.recipe(doc, "m", 1.2), None))
    assert [r[2] for r in doc.previews] == [0.8, 1.0, 1.2]  # 0.6 went first
    assert s.cached_preview(doc, "m", 0.6) is None and s.cached_preview(None, "m", 1.0) is None
    doc.hints.append(("hint", 1))
    assert s.cached_preview(doc, "m", 1.0) is None  # other hints: another recipe


def test_the_full_result_is_reused_only_for_its_recipe(tmp_path):
    s, (doc, *_) = _session(tmp_path)
    doc.full = Result(s.recipe(doc, "m", 1.0), None)
    assert s.full_for(doc, "m", 1.0) is doc.full
    assert s.full_for(doc, "m", 0.5) is None and s.full_for(doc, "other", 1.0) is None


def test_the_session_needs_no_qt():
    import subprocess
    import sys

    code = "import sys, restorer.core.session; print([m for m in sys.modules if m.startswith('PySide6')])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
