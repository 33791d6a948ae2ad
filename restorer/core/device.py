"""Pick the compute device: CUDA when present, else the CPU with a sensible thread count."""
from __future__ import annotations

import os

import torch

_configured = False


def configure_cpu_threads() -> int:
    """Use the physical cores we are allowed to run on; leave the GUI thread some air on big machines."""
    global _configured
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS / Windows
        n = os.cpu_count() or 1
    n = max(1, n if n <= 4 else n - 1)
    if not _configured:
        torch.set_num_threads(n)
        _configured = True
    return torch.get_num_threads()


def cpu_has_native_bf16() -> bool:
    """True when this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX): bf16 convolutions then run about
    twice as fast as float32; elsewhere they would be emulated and slower. ``RESTORER_PRECISION=fp32`` in the
    environment turns bf16 inference off (for exact comparisons with older results)."""
    if os.environ.get("RESTORER_PRECISION", "auto").lower() == "fp32":
        return False
    cpu = getattr(torch, "cpu", None)
    try:
        return bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())
    except AttributeError:  # an older torch without these probes: stay exact
        return False


def pick_device(preference: str = "auto") -> torch.device:
    """``auto`` -> CUDA if available else CPU; ``cuda`` without a GPU raises a clear error."""
    preference = (preference or "auto").lower()
    if preference not in {"auto", "cpu", "cuda"}:
        raise ValueError(f"unknown device {preference!r}: use auto, cpu or cuda")
    if preference == "cuda" or (preference == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for, but no CUDA GPU is available")
        return torch.device("cuda")
    configure_cpu_threads()
    return torch.device("cpu")


def describe_device(device: torch.device) -> str:
    """Human text for status bars: 'CPU (2 threads)' or 'CUDA: NVIDIA RTX 3060'."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"
