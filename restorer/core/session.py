"""The photos open in the app, without Qt: one document per photo, the colourise generation, kept previews.

The window shows one photo at a time, but a box of scans may be open. What it may keep is bounded here, in
plain Python that tests can drive without a display:

* decoded pixels only for the current and the previous photo (:data:`KEEP_DECODED`): 300 decoded 24 MP scans
  would not fit in memory, and going back to the last photo should still be instant;
* at most :data:`MAX_PREVIEWS_PER_PHOTO` previews per photo, the least recently used dropped first: stepping
  through colour strengths or editing hints would otherwise grow memory without bound;
* a generation counter: every new colourise run takes the next number, and a result that arrives for an older
  generation (the user moved on) is kept as a preview but not shown.

A result is anything with a ``recipe`` (what made it besides the photo: model, hints identity, strength) and
a ``token`` (generation, path) given when its run was started. The hint list and undo stack are the app's own
objects; the session only carries them.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Previews kept per photo (model x hints x strength; up to 1280 px, ~5 MB each).
MAX_PREVIEWS_PER_PHOTO = 8
#: Photos whose decoded pixels are kept: the current one and the one before it.
KEEP_DECODED = 2

Recipe = tuple[str, tuple, float]


@dataclass
class PhotoDoc:
    """Everything the app knows about one open photo."""

    path: Path
    hints: Any  # the app's hint list (its ``specs()`` are the photo's hints and regions)
    undo: Any  # the app's undo stack for those hints
    image: Any = None  # LoadedImage: kept only for the last KEEP_DECODED photos shown
    display: Any = None  # the front end's ready-to-show copy of the original
    error: str | None = None  # why the photo cannot be read (one line)
    previews: OrderedDict[Recipe, Any] = field(default_factory=OrderedDict)  # oldest first
    full: Any = None  # the full-resolution result, for the latest recipe only

    def drop_pixels(self) -> None:
        self.image = self.display = self.full = None


class PhotoSession:
    """The open photos in the order they were added, the current one, and the bounds above.

    ``hints_identity(hints)`` turns a document's hint list into the hashable middle part of a recipe (the
    app's :func:`restorer.gui.jobs.hints_key` of its specs).
    """

    def __init__(self, hints_identity: Callable[[Any], tuple], *, max_previews: int = MAX_PREVIEWS_PER_PHOTO,
                 keep_decoded: int = KEEP_DECODED) -> None:
        self.hints_identity = hints_identity
        self.max_previews = max_previews
        self.keep_decoded = keep_decoded
        self.docs: dict[Path, PhotoDoc] = {}
        self.current: PhotoDoc | None = None
        self.generation = 0
        self._recent: list[Path] = []

    # -- documents -------------------------------------------------------------------------------------------
    @staticmethod
    def key(path: str | Path) -> Path:
        return Path(path).resolve()

    def add(self, path: Path, hints: Any, undo: Any) -> PhotoDoc:
        """A new document for ``path`` (an already open photo keeps its document)."""
        k = self.key(path)
        if k not in self.docs:
            self.docs[k] = PhotoDoc(Path(path), hints, undo)
        return self.docs[k]

    def get(self, path: str | Path) -> PhotoDoc | None:
        return self.docs.get(self.key(path))

    def __contains__(self, path: object) -> bool:
        return isinstance(path, (str, Path)) and self.key(path) in self.docs

    def __iter__(self) -> Iterator[PhotoDoc]:
        return iter(list(self.docs.values()))

    def __len__(self) -> int:
        return len(self.docs)

    def readable(self) -> list[PhotoDoc]:
        """Documents not known to be unreadable, in the order they were added."""
        return [d for d in self.docs.values() if d.error is None]

    # -- showing ---------------------------------------------------------------------------------------------
    def select(self, doc: PhotoDoc) -> None:
        self.current = doc

    def shown(self, doc: PhotoDoc) -> None:
        """``doc`` is on screen with its pixels: keep pixels for it and the one before, drop the others'."""
        k = self.key(doc.path)
        if k in self._recent:
            self._recent.remove(k)
        self._recent.append(k)
        while len(self._recent) > self.keep_decoded:
            old = self.docs.get(self._recent.pop(0))
            if old is not None and old is not self.current:
                old.drop_pixels()

    # -- generations and results -----------------------------------------------------------------------------
    def next_generation(self) -> int:
        """A new colourise run (or a cached result shown): results of earlier runs must not replace it."""
        self.generation += 1
        return self.generation

    def token(self, doc: PhotoDoc) -> tuple[int, Path]:
        """What a run for ``doc`` started now carries, to be matched by :meth:`owner`."""
        return (self.generation, doc.path)

    def owner(self, result: Any) -> tuple[PhotoDoc | None, bool]:
        """(the document ``result`` was made for or None if it was closed, whether it is still wanted on screen)."""
        gen, path = result.token
        doc = self.get(path)
        return doc, doc is not None and gen == self.generation and doc is self.current

    def recipe(self, doc: PhotoDoc, model: str, strength: float = 1.0) -> Recipe:
        """The recipe a result for ``doc`` with ``model``, its current hints and ``strength`` would have."""
        return (model, self.hints_identity(doc.hints), strength)

    def keep_preview(self, doc: PhotoDoc, result: Any) -> None:
        """Remember a preview as the most recently used; the least recently used beyond the bound go."""
        doc.previews.pop(result.recipe, None)
        doc.previews[result.recipe] = result
        while len(doc.previews) > self.max_previews:
            doc.previews.popitem(last=False)

    def cached_preview(self, doc: PhotoDoc | None, model: str, strength: float) -> Any:
        """The kept preview for the current hints, ``model`` and ``strength`` (None if there is none)."""
        if doc is None:
            return None
        recipe = self.recipe(doc, model, strength)
        res = doc.previews.get(recipe)
        if res is not None:
            doc.previews.move_to_end(recipe)
        return res

    def full_for(self, doc: PhotoDoc, model: str, strength: float) -> Any:
        """The full-resolution result if it was made with this model, the current hints and ``strength``."""
        full = doc.full
        return full if full is not None and full.recipe == self.recipe(doc, model, strength) else None
