"""Fold eval-mode BatchNorm into the convolution before it, for inference.

A BatchNorm in eval mode is a per-channel affine map, so ``bn(conv(x))`` is one convolution with rescaled
weights and a bias. On CPU the separate BatchNorm pass is a full read and write of every feature map: on the
fast model it was 14 % of the network's time (docs/experiments.md, issue 22). Fusion changes outputs only by
float32 rounding. A fused network has other state-dict keys (each BatchNorm becomes an ``Identity``), so it
must never be saved as a model or trained: ``restorer.core.models.load_model(fuse=False)`` keeps the layers.
"""
from __future__ import annotations

import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def _sequential_pairs(seq: nn.Sequential) -> list[tuple[str, str]]:
    names = list(seq._modules)
    return [(a, b) for a, b in zip(names, names[1:])
            if isinstance(seq._modules[a], nn.Conv2d) and isinstance(seq._modules[b], nn.BatchNorm2d)]


def fuse_conv_bn(net: nn.Module) -> int:
    """Fuse in place every (Conv2d, BatchNorm2d) pair that is adjacent in an ``nn.Sequential`` or that a module
    lists in its ``conv_bn_pairs`` attribute (attribute names, for blocks whose forward calls bn(conv(x))
    directly). ``net`` must be in eval mode. Returns the number of pairs fused."""
    if net.training:
        raise ValueError("fuse_conv_bn needs a network in eval mode (BatchNorm must use its running statistics)")
    fused = 0
    for module in list(net.modules()):
        pairs = list(getattr(module, "conv_bn_pairs", ()))
        if isinstance(module, nn.Sequential):
            pairs += _sequential_pairs(module)
        for conv_name, bn_name in pairs:
            conv, bn = getattr(module, conv_name, None), getattr(module, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(conv, bn))
                setattr(module, bn_name, nn.Identity())
                fused += 1
    net.fused_for_inference = True  # save_model refuses it
    return fused
