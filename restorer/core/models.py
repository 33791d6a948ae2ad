"""The model registry: one list of colourisation models for the CLI, GUI, trainer and eval.

A model is two files side by side: ``<name>.safetensors`` (fp16 weights, loaded without executing code) and
``<name>.json`` (its card). As in nanoGPT checkpoints, the card carries the architecture *and its arguments*,
so loading rebuilds the exact network from the files alone. A network with a frozen pretrained encoder stores
only the weights training changed; the card names the trunk in ``resources/backbones`` by SHA-256.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restorer import __version__
from restorer.core.atomic import atomic_path, write_text
from restorer.paths import backbones_dir, bundled_models_dir, user_models_dir


class ModelError(Exception):
    """A model that cannot be found or loaded; ``str()`` is a one-line message for the user."""


@dataclass
class ModelCard:
    name: str
    arch: str
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    working_size: int = 256
    in_channels: int = 4
    hints: bool = True
    description: str = ""
    default: bool = False
    # Multiplies the predicted chroma. Regression towards the mean of plausible colours desaturates; a gain
    # calibrated on training photos (tools/calibrate_gain.py, recorded in ``training``) restores vividness.
    chroma_gain: float = 1.0
    # A test-time ensemble (restorer.core.engine.network_ab): the predictions at these further working sizes,
    # and with ``blend_flip`` of the mirrored photo too, are averaged with the working size's. The chroma gain
    # is chosen for the blend, since averaging quietens colour.
    blend_sizes: list[int] = field(default_factory=list)
    blend_flip: bool = False
    # What the model is for, shown beside its name in the app's picker: "fast", "experimental" or "" (the
    # default model is marked by ``default``; a user's own models by not being bundled).
    role: str = ""
    # How the model was made: "" trained on a collection of photos, "reference" learned from one colour photo
    # (``training.reference`` then names that file and its SHA-256).
    kind: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    backbone: dict[str, Any] | None = None
    created: str = ""
    restorer_version: str = __version__
    # Filled in by the registry, never stored.
    path: Path | None = field(default=None, compare=False, repr=False)
    bundled: bool = field(default=False, compare=False)

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        d.pop("path")
        d.pop("bundled")
        return json.dumps(d, indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str, path: Path | None = None, bundled: bool = False) -> ModelCard:
        d = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)} - {"path", "bundled"}
        unknown = set(d) - known
        if unknown:  # a newer Restorer wrote it: keep going, the extra fields are informational
            d = {k: v for k, v in d.items() if k in known}
        missing = {"name", "arch"} - set(d)
        if missing:
            raise ModelError(f"{path}: model card lacks {', '.join(sorted(missing))}")
        sizes = d.get("blend_sizes", [])
        if not isinstance(sizes, list) or not all(type(s) is int and 32 <= s <= 2048 for s in sizes):
            raise ModelError(f"{path}: blend_sizes must be a list of working sizes of 32-2048 px, not {sizes!r}")
        if not isinstance(d.get("blend_flip", False), bool):
            raise ModelError(f"{path}: blend_flip must be true or false, not {d['blend_flip']!r}")
        return cls(**d, path=path, bundled=bundled)

    @property
    def weights_path(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(".safetensors")

    @property
    def training_minutes(self) -> float:
        """Minutes of training in all, a fine-tuned model's base (and its bases) included."""
        total, t = 0.0, self.training or {}
        while isinstance(t, dict) and t:
            total += float(t.get("minutes") or 0.0)
            t = t.get("base_training")
        return total

    def headline_metrics(self) -> dict[str, Any]:
        """PSNR (with the gray baseline's on the same photos), colourfulness ratio and false colour (the share of
        truly neutral pixels painted loud: blotches) to show for this model: the full evaluation through the app's
        pipeline when the card has one, else the trainer's val crops."""
        m = self.metrics or {}
        full = m.get("full_val") if isinstance(m.get("full_val"), dict) else None
        src, where = (full, "val photos") if full and "psnr" in full else (m, "val crops")
        out: dict[str, Any] = {k: src[k] for k in ("psnr", "gray_psnr", "colourfulness_ratio", "false_colour")
                               if isinstance(src.get(k), (int, float))}
        if "psnr" in out:
            out["where"] = where
        return out

    def label(self) -> str:
        """The name as a picker shows it: 'vgg16-unet (default)', 'effnet-lite0-unet (fast)', 'mine (yours)'."""
        tags = [t for t in ("default" if self.default else "", self.role,
                            "yours" if not self.bundled and self.path is not None else "") if t]
        return f"{self.name} ({', '.join(tags)})" if tags else self.name

    def headline(self) -> str:
        """``headline_metrics`` as one line for people ('' when the card has no metrics)."""
        h = self.headline_metrics()
        if "psnr" not in h:
            return ""
        gray = f" (gray {h['gray_psnr']:.2f})" if "gray_psnr" in h else ""
        cf = f", colour x{h['colourfulness_ratio']:.2f}" if "colourfulness_ratio" in h else ""
        fc = f", false colour {100 * h['false_colour']:.1f} %" if "false_colour" in h else ""
        return f"PSNR {h['psnr']:.2f} dB{gray}{cf}{fc} on {h['where']}"

    def summary(self) -> str:
        bits = [f"{self.name:<22} {self.arch:<15} {self.working_size}px"]
        if self.headline():
            bits.append(self.headline())
        if self.training_minutes:
            bits.append(f"{self.training_minutes:.0f} min training")
        bits.append("bundled" if self.bundled else "user")
        return "  ".join(bits)


def _scan(folder: Path, bundled: bool) -> list[ModelCard]:
    cards = []
    if not folder.is_dir():
        return cards
    for p in sorted(folder.glob("*.json")):
        if not p.with_suffix(".safetensors").exists():
            continue
        try:
            cards.append(ModelCard.from_json(p.read_text(encoding="utf-8"), path=p, bundled=bundled))
        except (ValueError, TypeError, ModelError) as e:
            print(f"warning: ignoring model card {p}: {e}", file=sys.stderr)
    return cards


def list_models() -> list[ModelCard]:
    """Bundled models first (default first), then the user's; a user model may not reuse a bundled name."""
    bundled = _scan(bundled_models_dir(), True)
    bundled.sort(key=lambda c: (not c.default, c.name))
    names = {c.name for c in bundled}
    user = []
    for c in _scan(user_models_dir(), False):
        if c.name in names:
            print(f"warning: user model {c.path} has the same name as a bundled model; ignored", file=sys.stderr)
            continue
        names.add(c.name)
        user.append(c)
    return bundled + user


def resolve(name: str | os.PathLike | ModelCard) -> ModelCard:
    """Find a model card by name (``default`` is the bundled model marked default), or by the path of a
    card or weights file outside the registry (e.g. a training run's export)."""
    if isinstance(name, ModelCard):
        return name
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if name and name.endswith((".json", ".safetensors")):
        card_path = Path(name).with_suffix(".json")
        if not card_path.with_suffix(".safetensors").is_file() or not card_path.is_file():
            raise ModelError(f"{name}: expected a model card (.json) beside its .safetensors")
        return ModelCard.from_json(card_path.read_text(encoding="utf-8"), path=card_path, bundled=False)
    cards = list_models()
    if not cards:
        raise ModelError("no models installed (expected some in resources/models)")
    if name in ("default", "", None):
        for c in cards:
            if c.default:
                return c
        return cards[0]
    for c in cards:
        if c.name == name:
            return c
    raise ModelError(f"unknown model {name!r}; available: {', '.join(c.name for c in cards)}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------------ torch side

def build_network(card: ModelCard):
    from restorer.nets import create_arch

    kwargs = dict(card.arch_kwargs)
    kwargs["in_channels"] = card.in_channels
    if card.backbone is not None:
        kwargs["pretrained"] = False  # the trunk is loaded below, after its checksum is checked
    return create_arch(card.arch, **kwargs)


def _frozen_keys(net, card: ModelCard) -> set[str]:
    if not card.backbone:
        return set()
    prefixes = tuple(card.backbone.get("frozen_prefixes", []))
    return {k for k in net.state_dict() if k.startswith(prefixes)}


def _unfilled_build(card: ModelCard):
    """``build_network`` without drawing random initial weights: every weight is replaced by a stored one right
    after (``load_network`` checks that none is left out), and drawing them took a third of the default model's
    load (0.09 s of CPU for vgg16_unet's 15 M trunk weights). A torch function mode is per thread, so a network
    built at the same time on another thread (a training) is initialised as usual."""
    from torch.overrides import TorchFunctionMode

    class _NoRandomInit(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if getattr(func, "__name__", "") in _RANDOM_INITS:
                return args[0] if args else kwargs["tensor"]  # the tensor, left as allocated
            return func(*args, **kwargs)

    with _NoRandomInit():
        return build_network(card)


_RANDOM_INITS = frozenset({"uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_",
                           "xavier_normal_", "trunc_normal_", "orthogonal_"})


def _stored_state(card: ModelCard) -> dict[str, Any]:
    """The trunk named in the card (checksum checked) under its prefix, overlaid with the model's own file."""
    from safetensors.torch import load_file

    state: dict[str, Any] = {}
    if card.backbone:
        bfile = backbones_dir() / card.backbone["file"]
        if not bfile.exists():
            raise ModelError(f"model {card.name!r} needs backbone {bfile.name}, which is missing")
        want = card.backbone.get("sha256")
        if want and sha256_file(bfile) != want:
            raise ModelError(f"backbone {bfile.name} does not match the checksum model {card.name!r} was trained with")
        from restorer.nets.backbones import load_backbone_state

        prefix = card.backbone["prefix"]
        state.update((prefix + k, v) for k, v in load_backbone_state(bfile.name).items())
    try:
        state.update(load_file(str(card.weights_path)))
    except Exception as e:  # safetensors raises its own error types for corrupt files
        raise ModelError(f"cannot read weights of model {card.name!r}: {e}") from None
    return state


def load_network(card: ModelCard):
    """Rebuild the network of ``card`` and load its weights, checking that every tensor is accounted for."""
    net = _unfilled_build(card)
    expected = net.state_dict()
    state = _stored_state(card)
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ModelError(f"weights of model {card.name!r} do not fit {card.arch}: "
                         f"{len(missing)} missing (e.g. {missing[:2]}), {len(unexpected)} unexpected")
    for k, v in expected.items():
        if k in state and state[k].shape != v.shape:
            raise ModelError(f"weights of model {card.name!r}: {k} has shape {tuple(state[k].shape)}, "
                             f"expected {tuple(v.shape)}")
    state = {k: (v.to(expected[k].dtype) if v.is_floating_point() else v) for k, v in state.items()}
    # assign: the network takes the converted tensors themselves instead of a second copy of every weight.
    net.load_state_dict(state, strict=False, assign=True)  # strictness checked above, modulo num_batches_tracked
    return net


def load_model(name: str | ModelCard = "default", device: str = "auto", fuse: bool = True):
    """Load a model by name or card; returns a ``Colorizer`` in eval mode on the chosen device, set up for
    fast CPU inference when that is the device (``Colorizer.for_cpu_inference``).

    ``fuse`` folds BatchNorm into the convolutions (``restorer.nets.fuse``): faster, same outputs within float32
    rounding, but the network's state-dict keys change, so pass ``fuse=False`` when the network will be saved
    or trained on (e.g. as the frozen base inside a reference model)."""
    from restorer.core.colorizer import Colorizer
    from restorer.core.device import cpu_has_native_bf16, pick_device
    from restorer.nets.fuse import fuse_conv_bn

    card = resolve(name)
    dev = pick_device(device) if isinstance(device, str) else device
    net = load_network(card).eval()
    if fuse:
        fuse_conv_bn(net)
    model = Colorizer(net, card).to(dev).eval()
    return model.for_cpu_inference(bf16=cpu_has_native_bf16()) if model.device.type == "cpu" else model


def trainable_state(net, card: ModelCard) -> dict[str, Any]:
    """What a model file stores: everything but the frozen trunk named in the card, fp16 floats."""
    frozen = _frozen_keys(net, card)
    out = {}
    for k, v in net.state_dict().items():
        if k in frozen:
            continue
        v = v.detach().cpu()
        out[k] = (v.half() if v.is_floating_point() else v).contiguous()
    return out


MAX_NAME = 64
# "default" is what `--model default` means; the others are device names Windows will not use as file names.
_RESERVED = {"default", "con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}


def model_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a model, as a sentence for people, or None.

    Names become ``<name>.json`` / ``<name>.safetensors`` on any OS: no separators or ``..`` (a name must not
    write outside the models folder), no leading dot, no trailing dot or space, no reserved device names, and
    no ``@`` (``restorer eval`` reads ``NAME@PCT`` as a model at a colour strength).
    """
    if not name.strip():
        return "Give the model a name."
    if name != name.strip():
        return "The name cannot start or end with a space."
    if len(name) > MAX_NAME:
        return f"The name is too long ({MAX_NAME} characters at most)."
    if not re.fullmatch(r"[^\W_][\w .+-]*", name) or name.endswith("."):
        return "Use letters, digits, spaces and - _ . + only, starting with a letter or digit."
    if name.split(".")[0].strip().lower() in _RESERVED:
        return f"{name!r} is a reserved name; choose another."
    return None


def check_model_name(name: str) -> str:
    """``name`` if it can name files in a models folder, else ModelError with a one-line reason."""
    problem = model_name_problem(name)
    if problem:
        raise ModelError(f"invalid model name {name!r}: {problem}")
    return name


def save_model(net, card: ModelCard, folder: str | Path) -> Path:
    """Write ``<name>.safetensors`` + ``<name>.json`` atomically into ``folder``; returns the card path."""
    from safetensors.torch import save_file

    check_model_name(card.name)
    if any(getattr(m, "fused_for_inference", False) for m in net.modules()):
        raise ModelError(f"cannot save {card.name!r}: its network was fused for inference; load it with "
                         f"load_model(..., fuse=False) to save or train it")

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{card.name}.safetensors"
    card_path = folder / f"{card.name}.json"
    state = trainable_state(net, card)
    with atomic_path(weights) as tmp:
        save_file(state, tmp, metadata={"name": card.name, "arch": card.arch})
    write_text(card_path, card.to_json() + "\n")
    card.path = card_path
    return card_path


def backbone_entry(arch: str, arch_kwargs: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The card's ``backbone`` field for a model of ``arch`` built with ``arch_kwargs``: the pretrained trunk the
    arch declares and the parts of it that network keeps frozen (an argument may train more of it).

    ModelError if the installed trunk is not the file the arch declares (a card must name what it was made on).
    """
    import torch

    from restorer.nets import arch_spec, create_arch

    backbone = arch_spec(arch).backbone
    if backbone is None:
        return None
    if sha256_file(backbones_dir() / backbone.file) != backbone.sha256:
        raise ModelError(f"backbone {backbone.file} is not the file {arch} declares (its SHA-256 differs)")
    frozen = None
    if arch_kwargs:
        with torch.device("meta"):  # only its layout is read: no memory, no weights
            frozen = create_arch(arch, **{**arch_kwargs, "pretrained": False}).frozen
    return backbone.card_entry(frozen)


def run_cli(args) -> int:
    """`restorer models`: list models and their cards."""
    cards = list_models()
    if args.json:
        print(json.dumps([json.loads(c.to_json()) | {"path": str(c.path)} for c in cards], indent=2))
        return 0
    if not cards:
        print("no models installed")
        return 1
    for c in cards:
        print(("* " if c.default else "  ") + c.summary())
        if c.description:
            print(f"    {c.description}")
        print(f"    {c.path}")
    print(f"\nuser models folder: {user_models_dir()}")
    return 0
