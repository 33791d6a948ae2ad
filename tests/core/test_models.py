"""Registry and model files: cards round-trip, weights load without code, bad files give clear errors."""
import json

import pytest
import torch

from restorer.core import models
from restorer.core.models import ModelCard, ModelError, list_models, load_model, resolve, save_model
from restorer.nets import arch_spec, create_arch, list_archs


def test_all_architectures_build_and_run():
    for name in list_archs():
        kwargs = {"pretrained": False} if arch_spec(name).backbone else {"base": 8, "depth": 2}
        net = create_arch(name, in_channels=4, **kwargs).eval()
        with torch.no_grad():
            y = net(torch.zeros(1, 4, 64, 96))
        # The variations network gives K alternative ab residuals; every colourisation network one ab map.
        want = (1, net.k, 2, 64, 96) if name == "variations_unet" else (1, 2, 64, 96)
        assert y.shape == want and y.abs().max() <= 1


def test_unknown_architecture_lists_known():
    with pytest.raises(KeyError, match="unet"):
        create_arch("nope")


def test_list_and_resolve(tiny_model_dir):
    names = [c.name for c in list_models()]
    assert "tiny-test" in names and "tiny-test-2" in names
    assert resolve("tiny-test").arch == "unet"
    with pytest.raises(ModelError, match="available"):
        resolve("does-not-exist")


def test_save_load_round_trip_is_exact(tiny_model_dir, tmp_path):
    m = load_model("tiny-test", device="cpu", fuse=False)  # a network that will be saved keeps its layers
    x = torch.rand(1, 1, 64, 64) * 100
    y1 = m(x)
    card = ModelCard.from_json(m.card.to_json())
    card.name = "copy"
    with pytest.raises(ModelError, match="fuse=False"):
        save_model(load_model("tiny-test", device="cpu").net, card, tmp_path)
    assert not (tmp_path / "copy.json").exists() and not (tmp_path / "copy.safetensors").exists()
    save_model(m.net, card, tmp_path)
    m2 = load_model(ModelCard.from_json((tmp_path / "copy.json").read_text(), path=tmp_path / "copy.json"),
                    device="cpu")
    assert torch.allclose(y1, m2(x), atol=1e-4)


def test_weights_file_is_safetensors_not_pickle(tiny_model_dir):
    data = (tiny_model_dir / "tiny-test.safetensors").read_bytes()
    header_len = int.from_bytes(data[:8], "little")
    json.loads(data[8:8 + header_len])  # a safetensors header is plain JSON: nothing executable


def test_corrupt_weights_give_model_error(tiny_model_dir):
    (tiny_model_dir / "tiny-test.safetensors").write_bytes(b"garbage" * 10)
    with pytest.raises(ModelError, match="tiny-test"):
        load_model("tiny-test", device="cpu")


def test_mismatched_weights_give_model_error(tiny_model_dir):
    card = json.loads((tiny_model_dir / "tiny-test.json").read_text())
    card["arch_kwargs"]["base"] = 16
    (tiny_model_dir / "tiny-test.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="do not fit|shape"):
        load_model("tiny-test", device="cpu")


def test_frozen_backbone_is_not_stored_twice(tmp_path):
    net = create_arch("effnet_unet", in_channels=4, pretrained=True)
    net.freeze_backbone()
    card = ModelCard(name="eff", arch="effnet_unet", backbone=models.backbone_entry("effnet_unet"))
    save_model(net, card, tmp_path)
    from safetensors.torch import load_file

    stored = load_file(str(tmp_path / "eff.safetensors"))
    assert not any(k.startswith("encoder._conv_stem") for k in stored)
    assert any(k.startswith("encoder._blocks.15") for k in stored)  # trained part is stored
    loaded = models.load_network(ModelCard.from_json((tmp_path / "eff.json").read_text(), path=tmp_path / "eff.json"))
    x = torch.rand(1, 4, 64, 64)
    net.eval(), loaded.eval()
    with torch.no_grad():
        assert torch.allclose(net(x), loaded(x), atol=2e-2)  # fp16 storage


def test_vgg16_unet_trains_its_last_block_and_stores_only_it(tmp_path):
    """tune_blocks=1: VGG16's conv5 block trains; the card lists the rest as frozen, and the model file holds
    conv5 (changed weights load back) but not the layers that keep ImageNet's weights."""
    net = create_arch("vgg16_unet", in_channels=4, pretrained=True, tune_blocks=1)
    net.freeze_backbone()
    trained = {n.rsplit(".", 1)[0] for n, p in net.named_parameters() if p.requires_grad and n.startswith("encoder.")}
    assert trained == {"encoder.features.24", "encoder.features.26", "encoder.features.28"}
    with torch.no_grad():
        net.encoder.features[28].weight.mul_(0.5)  # as if trained: must come back from the model file
    card = ModelCard(name="v5", arch="vgg16_unet", arch_kwargs={"tune_blocks": 1},
                     backbone=models.backbone_entry("vgg16_unet", {"tune_blocks": 1}))
    assert "encoder.features.2." in card.backbone["frozen_prefixes"]
    assert not any(p.startswith("encoder.features.2" + "4") for p in card.backbone["frozen_prefixes"])
    save_model(net, card, tmp_path)
    from safetensors.torch import load_file

    stored = load_file(str(tmp_path / "v5.safetensors"))
    assert "encoder.features.28.weight" in stored and "encoder.features.21.weight" not in stored
    loaded = models.load_network(ModelCard.from_json((tmp_path / "v5.json").read_text(), path=tmp_path / "v5.json"))
    assert torch.allclose(loaded.encoder.features[28].weight, net.encoder.features[28].weight, atol=1e-3)
    assert torch.equal(loaded.encoder.features[21].weight, net.encoder.features[21].weight)
    with pytest.raises(ValueError, match="tune_blocks"):
        create_arch("vgg16_unet", pretrained=False, tune_blocks=6)


def test_each_architecture_declares_its_backbone_and_shipped_cards_agree():
    """The arch, not a file-name guess, says which trunk it sits on and where its keys go; the shipped cards
    (made before the arch declared it) name the same file, checksum, prefix and frozen parts."""
    from restorer.paths import bundled_models_dir

    for name in list_archs():
        b = arch_spec(name).backbone
        if b is not None:
            net = create_arch(name, pretrained=False)
            assert any(k.startswith(b.prefix) for k in net.state_dict()), name
            assert models.backbone_entry(name) == b.card_entry()
    cards = [ModelCard.from_json(p.read_text()) for p in sorted(bundled_models_dir().glob("*.json"))]
    assert cards
    for card in cards:
        assert card.backbone == models.backbone_entry(card.arch, card.arch_kwargs), card.name
        if card.backbone is None:
            assert card.arch_kwargs == dict(arch_spec(card.arch).defaults), card.name


def test_models_cli_lists_cards(tiny_model_dir, capsys):
    from restorer.cli import main

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "tiny-test" in out and "unet" in out
    assert main(["models", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert any(c["name"] == "tiny-test" and c["working_size"] == 64 for c in cards)


def test_training_minutes_include_the_bases_training():
    card = ModelCard(name="ft", arch="unet", training={"minutes": 8.0, "base_training": {
        "minutes": 90.0, "base_training": {"minutes": 2.5}}})
    assert card.training_minutes == pytest.approx(100.5)
    assert "100 min training" in card.summary()
    assert ModelCard(name="new", arch="unet").training_minutes == 0.0


def test_headline_metrics_prefer_the_full_evaluation_over_the_trainers_crops():
    crops = {"psnr": 22.6, "gray_psnr": 22.7, "colourfulness_ratio": 0.73}
    card = ModelCard(name="m", arch="unet", metrics=dict(crops))
    assert card.headline_metrics() == {**crops, "where": "val crops"}
    assert "PSNR 22.60 dB (gray 22.70)" in card.summary() and "on val crops" in card.summary()
    card.metrics["full_val"] = {"psnr": 23.4, "gray_psnr": 23.1, "colourfulness_ratio": 0.71, "note": "200 photos"}
    assert card.headline_metrics() == {"psnr": 23.4, "gray_psnr": 23.1, "colourfulness_ratio": 0.71,
                                       "where": "val photos"}
    card.metrics["full_val"]["false_colour"] = 0.0808  # the blotch measure, where the evaluation had it
    assert card.headline() == "PSNR 23.40 dB (gray 23.10), colour x0.71, false colour 8.1 % on val photos"
    assert ModelCard(name="none", arch="unet").headline_metrics() == {}


@pytest.mark.parametrize("name", ["../x", "../../etc/x", "a/b", "a\\b", "", " x", ".hidden", "x" * 81, "nul\0",
                                  "m@150", "con", "trailing."])
def test_model_names_that_would_escape_or_hide_are_refused(name):
    from restorer.core.models import ModelError, check_model_name

    with pytest.raises(ModelError):
        check_model_name(name)


@pytest.mark.parametrize("name", ["Lyon 1920s", "vgg16-unet", "Studio Müller v2", "ref_photo 1.0+"])
def test_ordinary_model_names_pass(name):
    from restorer.core.models import check_model_name

    assert check_model_name(name) == name


def test_train_refuses_escaping_name_before_training(tmp_path, capsys):
    from restorer.cli import main

    rc = main(["train", "--data", str(tmp_path), "--name", "../../etc/x", "--minutes", "1"])
    assert rc == 2
    assert "invalid model name" in capsys.readouterr().err


def test_card_label_says_default_fast_experimental_and_yours(tmp_path):
    bundled = {c.name: c for c in list_models() if c.bundled}
    default = next(c for c in bundled.values() if c.default)
    assert default.label() == f"{default.name} (default)"
    if "effnet-lite0-unet" in bundled:
        assert bundled["effnet-lite0-unet"].label() == "effnet-lite0-unet (fast)"
    if "attention-unet" in bundled:
        assert "experimental" in bundled["attention-unet"].label()
    mine = ModelCard(name="mine", arch="unet", path=tmp_path / "mine.json")
    assert mine.label() == "mine (yours)"


def test_card_blend_round_trips_and_bad_sizes_are_refused(tmp_path):
    card = ModelCard(name="b", arch="unet", blend_sizes=[160], blend_flip=True)
    back = ModelCard.from_json(card.to_json())
    assert back.blend_sizes == [160] and back.blend_flip is True
    assert ModelCard.from_json(json.dumps({"name": "old", "arch": "unet"})).blend_sizes == []  # older cards
    for bad in ("160", [160.0], [8], [True], [160, "x"]):
        with pytest.raises(ModelError, match="blend_sizes"):
            ModelCard.from_json(json.dumps({"name": "b", "arch": "unet", "blend_sizes": bad}), path=tmp_path / "b.json")
    with pytest.raises(ModelError, match="blend_flip"):
        ModelCard.from_json(json.dumps({"name": "b", "arch": "unet", "blend_flip": "yes"}), path=tmp_path / "b.json")


@pytest.mark.parametrize("arch", ["effnet_unet", "vgg16_unet"])
def test_global_context_starts_as_the_network_it_extends_and_learns(arch, tmp_path):
    """A trained network given Iizuka's global branch computes what it did (its last layer starts at zero), the
    branch learns from the first step, and a model file carries it."""
    torch.manual_seed(0)
    plain = create_arch(arch, in_channels=4, pretrained=True).eval()
    ctx = create_arch(arch, in_channels=4, pretrained=True, global_context=True).eval()
    missing, unexpected = ctx.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("global_context.") for k in missing)
    x = torch.rand(2, 4, 64, 64)
    with torch.no_grad():
        assert torch.equal(plain(x), ctx(x))
    ctx.train()
    ctx(x).square().mean().backward()
    assert ctx.global_context[-1].weight.grad.abs().sum() > 0
    with torch.no_grad():
        ctx.global_context[-1].bias.fill_(5.0)  # as if trained
    card = ModelCard(name="g", arch=arch, arch_kwargs={"global_context": True},
                     backbone=models.backbone_entry(arch, {"global_context": True}))
    save_model(ctx.eval(), card, tmp_path)
    loaded = models.load_network(ModelCard.from_json((tmp_path / "g.json").read_text(), path=tmp_path / "g.json"))
    with torch.no_grad():
        moved = (ctx(x) - plain(x)).abs().max()
        assert moved > 0 and (loaded.eval()(x) - ctx(x)).abs().max() < moved / 10  # fp16 storage
