"""numpy pixels <-> QImage for display. Pure conversions; safe to call on worker threads (QImage, not QPixmap)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage


def to_display_uint8(pixels: np.ndarray) -> np.ndarray:
    """``HxWx3`` uint8 for the screen from uint8 / uint16 / float [0, 1] RGB (16-bit is rounded, not truncated)."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    if pixels.shape[2] == 4:
        pixels = pixels[:, :, :3]
    if pixels.dtype == np.uint8:
        return pixels
    if pixels.dtype == np.uint16:
        return ((pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if np.issubdtype(pixels.dtype, np.floating):
        return np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    raise TypeError(f"cannot display pixels of type {pixels.dtype}")


def numpy_to_qimage(pixels: np.ndarray) -> QImage:
    """An independent (deep-copied) RGB888 QImage of the pixels; the array may be freed afterwards."""
    rgb = np.ascontiguousarray(to_display_uint8(pixels))
    h, w = rgb.shape[:2]
    # QImage only borrows the buffer, so copy() before the numpy array can go away.
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def qimage_to_numpy(image: QImage) -> np.ndarray:
    """``HxWx3`` uint8 RGB copy of a QImage (used by tests and screenshots to read what is displayed)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def thumbnail(pixels: np.ndarray, size: int) -> QImage:
    """A QImage whose longer side is ``size`` (smooth downscale by Qt; display only, not model input)."""
    img = numpy_to_qimage(pixels)
    if max(img.width(), img.height()) > size:
        img = img.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return img


def pixel_rgb(pixels: np.ndarray, fx: float, fy: float) -> QColor:
    """Colour of the pixel at normalised position (fx, fy) in [0, 1] of an RGB array (for the hint picker)."""
    h, w = pixels.shape[:2]
    x = min(max(int(fx * w), 0), w - 1)
    y = min(max(int(fy * h), 0), h - 1)
    r, g, b = (int(v) for v in to_display_uint8(pixels[y : y + 1, x : x + 1])[0, 0])
    return QColor(r, g, b)
