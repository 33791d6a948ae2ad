"""The user's models as files: rename, delete, and move a model as one ``.restorer-model`` file.

A ``.restorer-model`` is a zip holding exactly ``card.json`` and ``model.safetensors`` (plus a small
``manifest.json`` with their SHA-256): JSON and raw tensors, nothing that can execute. Import trusts nothing
in it: the archive is read in full and checked (a zip, only those members, sane sizes, checksums, a card
whose architecture exists, tensors that fit that card exactly, a safe and free name) in a staging folder
*outside* the models folder; only a model that passed everything is then written in, weights first and card
last, each atomically, so the registry never sees half a model and a refused import changes nothing.
Shipped models are read-only: they can be exported, never renamed, deleted or replaced.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

from restorer.core.atomic import atomic_path, write_text
from restorer.core.models import ModelCard, ModelError, check_model_name, list_models, resolve
from restorer.paths import user_models_dir

EXTENSION = ".restorer-model"
CARD = "card.json"
WEIGHTS = "model.safetensors"
MANIFEST = "manifest.json"
FORMAT = 1
MAX_CARD_BYTES = 1 << 20
MAX_WEIGHTS_BYTES = 2 << 30  # a colourisation model is megabytes; this only stops a zip bomb


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _same_name(a: str, b: str) -> bool:
    # Windows and macOS folders are case-insensitive: 'Mine' and 'mine' would be one file there.
    return a.casefold() == b.casefold()


def check_new_name(name: str, folder: str | Path | None = None, *, replace: bool = False,
                   ignore: str | None = None) -> str:
    """``name`` if a new user model may take it, else ModelError with a one-line reason.

    The name must be a valid file name inside the models folder (``check_model_name``), must not be a shipped
    model's, and must be free in ``folder`` unless ``replace`` (``ignore`` is the model being renamed)."""
    check_model_name(name)
    folder = Path(folder) if folder else user_models_dir()
    for card in list_models():
        if card.bundled and _same_name(card.name, name):
            raise ModelError(f"{name!r} is the name of a shipped model; choose another")
    if not replace and folder.is_dir():
        for p in folder.glob("*.json"):
            if _same_name(p.stem, name) and not (ignore and _same_name(p.stem, ignore)):
                raise ModelError(f"a model called {p.stem!r} already exists (use --replace to overwrite it)")
    return name


def user_card(name: str) -> ModelCard:
    """The user model ``name``; shipped models and unknown names are refused with a one-line reason."""
    card = resolve(name)
    if card.bundled:
        raise ModelError(f"{card.name!r} is a shipped model and cannot be changed (only your own models can)")
    if card.path is None:
        raise ModelError(f"{name!r} is not in the models folder")
    return card


def rename_model(old: str, new: str) -> ModelCard:
    """Rename user model ``old`` to ``new`` (card and weights); returns the new card."""
    card = user_card(old)
    assert card.path is not None
    folder = card.path.parent
    check_new_name(new, folder, ignore=card.name)
    if new == card.name:
        return card
    old_weights = card.weights_path
    new_card = ModelCard.from_json(card.to_json())
    new_card.name = new
    new_path = folder / f"{new}.json"
    # Weights first, then the card: between the two the registry sees neither name complete, never two models.
    os.replace(old_weights, new_path.with_suffix(".safetensors"))
    write_text(new_path, new_card.to_json() + "\n")
    if card.path != new_path:  # a case-only rename on a case-insensitive disk is the same file
        card.path.unlink(missing_ok=True)
    new_card.path = new_path
    return new_card


def delete_model(name: str) -> Path:
    """Delete user model ``name`` (card first, so it leaves the registry at once); returns its old card path."""
    card = user_card(name)
    assert card.path is not None
    card.path.unlink()
    card.weights_path.unlink(missing_ok=True)
    return card.path


def export_model(name: str, dest: str | Path, *, overwrite: bool = False) -> Path:
    """Write model ``name`` (shipped or user) to ``dest`` as one ``.restorer-model`` file, atomically."""
    card = resolve(name)
    dest = Path(dest)
    if dest.suffix != EXTENSION:
        raise ModelError(f"{dest.name}: the export file must end in {EXTENSION}")
    if dest.exists() and not overwrite:
        raise ModelError(f"{dest} already exists")
    weights = card.weights_path.read_bytes()
    text = card.to_json() + "\n"
    manifest = {"format": FORMAT, "name": card.name, "arch": card.arch,
                "sha256": {CARD: _digest(text.encode("utf-8")), WEIGHTS: _digest(weights)}}
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(dest, overwrite=overwrite) as tmp, zipfile.ZipFile(tmp, "w") as z:
        z.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(CARD, text, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(WEIGHTS, weights, compress_type=zipfile.ZIP_STORED)  # fp16 tensors hardly compress
    return dest


def _read_archive(path: Path) -> tuple[dict, bytes, bytes]:
    """(manifest, card bytes, weights bytes) of a well-formed archive, else ModelError saying what is wrong."""
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:1] == b"\x80":
        raise ModelError(f"{path.name}: is a Python pickle, not a {EXTENSION} file; refused (a pickle can run code)")
    if head != b"PK\x03\x04" or not zipfile.is_zipfile(path):
        raise ModelError(f"{path.name}: not a {EXTENSION} file (it is not a zip archive, or it is truncated)")
    try:
        with zipfile.ZipFile(path) as z:
            infos = {i.filename: i for i in z.infolist()}
            if set(infos) != {MANIFEST, CARD, WEIGHTS}:
                extra = sorted(set(infos) - {MANIFEST, CARD, WEIGHTS})
                missing = sorted({MANIFEST, CARD, WEIGHTS} - set(infos))
                what = f"unexpected {', '.join(extra)}" if extra else f"missing {', '.join(missing)}"
                raise ModelError(f"{path.name}: not a {EXTENSION} file ({what})")
            if infos[CARD].file_size > MAX_CARD_BYTES or infos[MANIFEST].file_size > MAX_CARD_BYTES \
                    or infos[WEIGHTS].file_size > MAX_WEIGHTS_BYTES:
                raise ModelError(f"{path.name}: a member is implausibly large; refused")
            manifest_bytes, card_bytes, weights = (z.read(n) for n in (MANIFEST, CARD, WEIGHTS))
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as e:
        raise ModelError(f"{path.name}: damaged or truncated ({' '.join(str(e).split())})") from None
    try:
        manifest = json.loads(manifest_bytes)
        sums = manifest["sha256"]
    except (ValueError, KeyError, TypeError):
        raise ModelError(f"{path.name}: its manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{path.name}: made by a newer Restorer (format {manifest.get('format')!r})")
    if sums.get(CARD) != _digest(card_bytes) or sums.get(WEIGHTS) != _digest(weights):
        raise ModelError(f"{path.name}: its contents do not match their checksums (damaged file)")
    return manifest, card_bytes, weights


def _parse_card(path: Path, card_bytes: bytes) -> ModelCard:
    try:
        card = ModelCard.from_json(card_bytes.decode("utf-8"))
    except (ValueError, TypeError, UnicodeDecodeError) as e:
        raise ModelError(f"{path.name}: its model card is not valid ({' '.join(str(e).split())[:120]})") from None
    from restorer.nets import list_archs

    if card.arch not in list_archs():
        raise ModelError(f"{path.name}: unknown architecture {card.arch!r} (made by another Restorer version?)")
    return card


def _checked(source: Path, card_bytes: bytes, weights: bytes) -> ModelCard:
    """The card of (card, weights) after checking that they build a network, in a staging folder."""
    from restorer.core.models import load_network

    card = _parse_card(source, card_bytes)
    with tempfile.TemporaryDirectory(prefix="restorer-import-") as staging:
        card.path = Path(staging) / "staged.json"
        card.weights_path.write_bytes(weights)
        try:
            load_network(card)  # every tensor present with the right shape, the backbone's checksum right
        except ModelError as e:
            raise ModelError(f"{source.name}: {e}") from None
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise ModelError(f"{source.name}: the card does not describe a network this Restorer can build "
                             f"({' '.join(str(e).split())[:120]})") from None
    card.path = None
    return card


def inspect_archive(path: str | Path) -> ModelCard:
    """The card inside a ``.restorer-model``, after every check an import makes except the destination's."""
    path = Path(path)
    _, card_bytes, weights = _read_archive(path)
    return _checked(path, card_bytes, weights)


def _install(card: ModelCard, weights: bytes, name: str | None, replace: bool, folder: Path) -> ModelCard:
    card.name = check_new_name(name or card.name, folder, replace=replace)
    card.bundled = False
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / f"{card.name}.json"
    for p in folder.glob("*.json"):  # --replace of 'Mine' by 'mine': the old files go, not a second copy
        if _same_name(p.stem, card.name) and p.stem != card.name:
            p.unlink()
            p.with_suffix(".safetensors").unlink(missing_ok=True)
    with atomic_path(dest.with_suffix(".safetensors")) as tmp, open(tmp, "wb") as f:
        f.write(weights)
    write_text(dest, card.to_json() + "\n")
    card.path = dest
    return card


def import_model(path: str | Path, name: str | None = None, *, replace: bool = False,
                 folder: str | Path | None = None) -> ModelCard:
    """Install a ``.restorer-model`` into the user models folder as ``name`` (default: its card's name).

    Every refusal is a ModelError with a one-line reason and leaves the models folder as it was."""
    path = Path(path)
    _, card_bytes, weights = _read_archive(path)  # read once: what is checked is what gets written
    card = _checked(path, card_bytes, weights)
    return _install(card, weights, name, replace, Path(folder) if folder else user_models_dir())


def install_files(card_path: str | Path, name: str, *, replace: bool = False,
                  folder: str | Path | None = None) -> ModelCard:
    """Install a model saved elsewhere (``<x>.json`` beside ``<x>.safetensors``, e.g. the app's reference run)
    into the user models folder as ``name``, with the same checks as an import."""
    card_path = Path(card_path)
    try:
        card_bytes, weights = card_path.read_bytes(), card_path.with_suffix(".safetensors").read_bytes()
    except OSError as e:
        raise ModelError(f"{card_path.name}: cannot read the model ({' '.join(str(e).split())})") from None
    card = _checked(card_path, card_bytes, weights)
    return _install(card, weights, name, replace, Path(folder) if folder else user_models_dir())


def open_folder_path() -> Path:
    """The user models folder, created so a file manager can open it."""
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_cli(args) -> int:
    """``restorer models export|import|rename|delete``: 0 done, 2 refused (one line on stderr)."""
    import sys

    try:
        if args.models_command == "export":
            out = export_model(args.name, args.file, overwrite=args.overwrite)
            print(f"exported {args.name!r} to {out}")
        elif args.models_command == "import":
            card = import_model(args.file, args.name, replace=args.replace)
            print(f"imported {card.name!r} ({card.arch}) into {card.path.parent if card.path else ''}")
        elif args.models_command == "rename":
            card = rename_model(args.old, args.new)
            print(f"renamed {args.old!r} to {card.name!r}")
        elif args.models_command == "delete":
            delete_model(args.name)
            print(f"deleted {args.name!r}")
        else:  # pragma: no cover - argparse guarantees a known subcommand
            raise AssertionError(args.models_command)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    return 0


__all__ = ["EXTENSION", "check_new_name", "delete_model", "export_model", "import_model", "inspect_archive",
           "install_files",
           "open_folder_path", "rename_model", "run_cli"]
