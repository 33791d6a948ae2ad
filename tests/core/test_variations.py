"""Variations: K distinct alternatives of the right shape, the engine's use of a chosen one, the loader's checks."""
from __future__ import annotations

import json

import numpy as np
import pytest

from restorer.core.hints import Hint
from restorer.core.models import ModelError, load_model
from restorer.core.variations import Variation, alternatives, find_card, load_variations, variation_of, variations


def test_network_gives_k_distinct_alternatives_of_the_right_shape(tiny_variations):
    net = load_variations()
    L = np.linspace(20, 80, 64 * 96, dtype=np.float32).reshape(64, 96)
    ab = np.zeros((2, 64, 96), np.float32)
    alts = alternatives(ab, L, net)
    assert alts.shape == (4, 2, 64, 96) and alts.dtype == np.float32
    for i in range(4):
        for j in range(i + 1, 4):
            assert np.abs(alts[i] - alts[j]).mean() > 1.0, (i, j)
    assert np.abs(alts).max() <= 110.0


def test_engine_uses_the_chosen_variation_and_hints_still_land(tiny_variations, tiny_model_dir, gray_photo):
    from restorer.core.engine import colorize, predict_ab

    model = load_model("tiny-test")
    own, _ = predict_ab(gray_photo, model)
    second, _ = predict_ab(gray_photo, model, [Variation(2)])
    assert np.abs(own - second).mean() > 1.0
    assert np.array_equal(predict_ab(gray_photo, model, [Variation(0)])[0], own)
    hint = Hint(0.25, 0.25, (40.0, -30.0), radius=0.05)
    with_hint, L = predict_ab(gray_photo, model, [Variation(2), hint])
    cy, cx, _ = hint.pixel(*L.shape)
    assert np.allclose(with_hint[:, cy, cx], hint.ab, atol=2.0)  # the hint corrects the variation exactly
    thumbs = variations(gray_photo, model, [hint], long_side=64)
    assert len(thumbs) == 5 and all(t.shape == (48, 64, 3) and t.dtype == np.uint8 for t in thumbs)
    # thumbnail k is the engine's own result with Variation(k), at the thumbnail's size
    small = colorize(gray_photo, model, [hint, Variation(3)], preview=True, preview_long_side=64)
    assert np.abs(small.astype(int) - thumbs[3].astype(int)).max() <= 1
    with pytest.raises(ValueError, match="variation 9 does not exist"):
        predict_ab(gray_photo, model, [Variation(9)])


def test_variation_of_takes_the_last_choice():
    assert variation_of(None) == 0
    assert variation_of([Hint(0.5, 0.5, (1.0, 2.0)), Variation(1), Variation(3)]) == 3


def test_loader_refuses_mismatched_tensors(tmp_path, tiny_variations):
    card = find_card()
    bad = tmp_path / "bad"
    bad.mkdir()
    # weights of a K = 3 network under a card that says K = 4: the head's shape differs
    from safetensors.torch import save_file

    from restorer.nets import create_arch

    net = create_arch("variations_unet", k=3, base=8, depth=2)
    save_file({k: v.half().contiguous() for k, v in net.state_dict().items()}, str(bad / "variations.safetensors"))
    (bad / "variations.json").write_text(card.to_json())
    with pytest.raises(ModelError, match="has shape"):
        load_variations(bad / "variations.json")
    # a tensor missing altogether
    state = {k: v.half().contiguous() for k, v in create_arch("variations_unet", base=8, depth=2).state_dict().items()
             if not k.startswith("head.")}
    save_file(state, str(bad / "variations.safetensors"))
    with pytest.raises(ModelError, match="missing"):
        load_variations(bad / "variations.json")
    # not a variations network at all
    (bad / "variations.json").write_text(json.dumps(json.loads(card.to_json()) | {"arch": "unet"}))
    with pytest.raises(ModelError, match="not a variations network"):
        load_variations(bad / "variations.json")


def test_no_network_installed_says_why(tmp_path, monkeypatch):
    import restorer.core.variations as v

    monkeypatch.setattr(v, "variations_folder", lambda: tmp_path / "none")
    assert v.find_card() is None
    assert "No variations network" in v.unavailable_reason()
    with pytest.raises(ModelError, match="No variations network"):
        v.load_variations()


def test_cli_variation_equals_the_engine_and_refuses_a_bad_one(tiny_variations, tiny_model_dir, gray_photo, tmp_path,
                                                               capsys):
    from PIL import Image

    from restorer.cli import main
    from restorer.core.engine import colorize
    from restorer.core.io import read_image

    Image.fromarray(gray_photo).save(tmp_path / "scan.png")
    args = ["colorize", str(tmp_path / "scan.png"), "-o", str(tmp_path / "out"), "--model", "tiny-test",
            "--device", "cpu"]
    assert main([*args, "--variation", "2"]) == 0
    expected = colorize(gray_photo, load_model("tiny-test"), [Variation(2)])
    assert np.array_equal(read_image(tmp_path / "out" / "scan_colour.png").pixels, expected)
    assert main([*args, "--variation", "9", "--overwrite"]) == 2
    assert "--variation 9: choose 0 (the model's own colouring) or 1..4" in capsys.readouterr().err


def test_per_alternative_scales_shrink_each_residual_by_its_own_factor():
    import pytest
    import torch

    from restorer.nets import create_arch

    torch.manual_seed(0)
    net = create_arch("variations_unet").eval()
    torch.nn.init.normal_(net.head.weight, std=0.05)  # residuals big enough to compare
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        full = net(x)
        net.scale = [1.0, 0.5, 0.0, 0.25]
        scaled = net(x)
    for k, f in enumerate(net.scale):
        assert torch.allclose(scaled[:, k], full[:, k] * f, atol=1e-6)
    with pytest.raises(ValueError, match="one per alternative"):
        create_arch("variations_unet", scale=[1.0, 0.5])


def test_scale_rule_keeps_each_alternative_within_the_allowed_drop():
    from training.variations import choose_scales

    rows = [{"scale": 1.0, "psnr_model": 23.0, "psnr_variations": [22.9, 20.0, 22.0, 23.1]},
            {"scale": 0.5, "psnr_model": 23.0, "psnr_variations": [23.0, 21.5, 22.8, 23.1]},
            {"scale": 0.2, "psnr_model": 23.0, "psnr_variations": [23.0, 22.0, 23.0, 23.0]}]
    assert choose_scales(rows, 0.3) == [1.0, 0.2, 0.5, 1.0]  # the second never fits: the smallest scale
