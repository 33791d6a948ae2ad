"""Qt-free core: image I/O, Lab maths, hints, model registry, engine, batch, metrics.

Nothing under this package may import PySide6 (tests/core/test_layering.py checks it).
"""
