"""CPU inference set-up of loaded models (issue 22 speed): channels-last, bf16 where measured safe, weights loaded
without random initialisation; results as the plain float32 network's."""
from __future__ import annotations

import copy

import pytest
import torch

from restorer.core import colorizer as colorizer_mod
from restorer.core import models
from restorer.core.colorizer import Colorizer
from restorer.core.device import cpu_has_native_bf16
from restorer.core.models import ModelCard, load_model, load_network, resolve
from restorer.nets import create_arch


def _vgg_colorizer() -> Colorizer:
    torch.manual_seed(0)
    net = create_arch("vgg16_unet", in_channels=4, pretrained=False).eval()
    return Colorizer(net, ModelCard(name="v", arch="vgg16_unet", working_size=64)).eval()


def test_loaded_weights_are_the_stored_ones_and_leave_the_random_state_alone(tiny_model_dir):
    card = resolve("tiny-test")
    torch.manual_seed(5)
    plain = models.build_network(card)
    from safetensors.torch import load_file

    plain.load_state_dict({k: v.float() for k, v in load_file(str(card.weights_path)).items()}, strict=False)
    state = torch.random.get_rng_state()
    loaded = load_network(card)
    assert torch.equal(torch.random.get_rng_state(), state)  # no weights were drawn only to be replaced
    ref = plain.state_dict()
    for k, v in loaded.state_dict().items():
        assert v.dtype == ref[k].dtype and torch.equal(v, ref[k]), k


def test_channels_last_gives_the_float32_result(tiny_model_dir):
    model = load_model("tiny-test", device="cpu")
    assert model.channels_last and not model.bf16  # a plain unet is not in BF16_ARCHS
    plain = Colorizer(load_network(resolve("tiny-test")), resolve("tiny-test")).eval()
    L = torch.rand(1, 1, 64, 96) * 100
    with torch.inference_mode():
        assert torch.allclose(model(L), plain(L), atol=1e-3)


def test_bf16_keeps_the_input_convolutions_float32_and_stays_close():
    ref = _vgg_colorizer()
    fast = copy.deepcopy(ref).for_cpu_inference(bf16=True)
    assert fast.bf16
    inputs = [m for m in fast.net.modules() if isinstance(m, torch.nn.Conv2d) and m.in_channels <= 4]
    assert inputs and all(m.forward.__func__ is colorizer_mod._float32_forward for m in inputs)
    L = torch.rand(1, 1, 64, 96) * 100
    with torch.inference_mode():
        a, b = ref(L), fast(L)
    assert b.dtype == torch.float32 and b.is_contiguous()
    assert (a - b).abs().max() < 2.0  # ab units; real photos: within 1/255 after the guided upsampling


def test_a_deep_copy_of_a_bf16_model_uses_its_own_weights():
    fast = _vgg_colorizer().for_cpu_inference(bf16=True)
    twin = copy.deepcopy(fast)
    conv = twin.net.encoder.features[0]
    assert conv.forward.__self__ is conv
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
    L = torch.rand(1, 1, 64, 64) * 100
    with torch.inference_mode():
        assert not torch.allclose(fast(L), twin(L))


def test_bf16_only_for_measured_archs_and_switched_off_by_the_environment(monkeypatch):
    other = Colorizer(create_arch("effnet_unet", in_channels=4, pretrained=False), ModelCard(name="e",
                                                                                           arch="effnet_unet"))
    assert not other.for_cpu_inference(bf16=True).bf16
    monkeypatch.setenv("RESTORER_PRECISION", "fp32")
    assert not cpu_has_native_bf16()


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bf16")
def test_the_default_model_uses_bf16_on_this_cpu():
    assert load_model("default", device="cpu").bf16


def _random_bn_stats(net: torch.nn.Module) -> None:
    """Non-trivial running statistics, so a wrong fold would show (fresh BatchNorm layers are identities)."""
    g = torch.Generator().manual_seed(3)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


@pytest.mark.parametrize("arch", ["effnet_unet", "vgg16_unet", "unet"])
def test_fused_batchnorm_gives_the_same_result(arch):
    from restorer.nets.fuse import fuse_conv_bn

    torch.manual_seed(0)
    net = create_arch(arch, in_channels=4, **({} if arch == "unet" else {"pretrained": False}))
    _random_bn_stats(net)
    net.eval()
    fused = copy.deepcopy(net)
    n = fuse_conv_bn(fused)
    bns = sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    left = sum(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    # Only the EfficientNet stem's BatchNorm may stay (the hint channels are added between its conv and it).
    assert n > 0 and left <= 1 and n + left == bns
    x = torch.randn(1, 4, 64, 96)
    with torch.inference_mode():
        assert torch.allclose(net(x), fused(x), atol=1e-4)


def test_fusing_refuses_a_network_in_training_mode():
    from restorer.nets.fuse import fuse_conv_bn

    with pytest.raises(ValueError, match="eval mode"):
        fuse_conv_bn(create_arch("unet", in_channels=1).train())


def test_loaded_models_are_fused_unless_asked_not_to(tiny_model_dir):
    def bns(model):
        return sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.net.modules())

    assert bns(load_model("tiny-test", device="cpu")) == 0
    keep = load_model("tiny-test", device="cpu", fuse=False)
    assert bns(keep) > 0 and set(keep.net.state_dict()) == set(load_network(resolve("tiny-test")).state_dict())
