"""restorer.core.io: formats, orientation, colour profiles, metadata, atomic writes, bad inputs.

Every image is generated here in tmp_path (a few KB each); ICC profiles are built byte by byte so the tests
do not depend on profiles installed on the machine.
"""
from __future__ import annotations

import errno
import io
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms, ImageOps

from restorer import __version__
from restorer.core.io import SUPPORTED_EXTENSIONS, ImageError, LoadedImage, is_supported, read_image, write_image

SOFTWARE = f"Restorer {__version__}"


# ------------------------------------------------------------------------------------------------ helpers
def colourful(h: int = 24, w: int = 32, seed: int = 0) -> np.ndarray:
    """Smooth colour gradients plus a little noise: compresses well, clearly chromatic."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([60 + 150 * x / w, 60 + 150 * y / h, 200 - 120 * x / w], axis=-1)
    rgb += np.random.default_rng(seed).normal(0, 3, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def asymmetric(h: int = 24, w: int = 40) -> np.ndarray:
    """Blocky image whose four quadrants differ, so every flip/rotation is distinguishable (JPEG-friendly)."""
    a = np.zeros((h, w, 3), np.uint8)
    a[: h // 2, : w // 2] = (230, 30, 30)
    a[: h // 2, w // 2:] = (30, 230, 30)
    a[h // 2:, : w // 2] = (30, 30, 230)
    a[h // 2:, w // 2:] = (230, 230, 30)
    return a


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def exif_of(img: LoadedImage | None = None, path: Path | None = None) -> Image.Exif:
    exif = Image.Exif()
    if img is not None and img.exif:
        exif.load(img.exif)
    if path is not None:
        with Image.open(path) as im:
            exif = im.getexif()
            exif.get_ifd(0x8769)
    return exif


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".restorer-"))


# ---- ICC v2 profiles built by hand (matrix/TRC), so tests have a real non-sRGB profile to convert from.
def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)


def _curve(gamma: float) -> bytes:
    return b"curv" + b"\0" * 4 + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"


def _desc(text: str) -> bytes:
    a = text.encode("ascii") + b"\0"
    return b"desc" + b"\0" * 4 + struct.pack(">I", len(a)) + a + b"\0" * 8 + b"\0" * 3 + b"\0" * 67


def make_icc(space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    table = 4 + 12 * len(tags)
    entries, body = b"", b""
    for sig, data in tags:
        body += b"\0" * (-(128 + table + len(body)) % 4)
        entries += sig + struct.pack(">II", 128 + table + len(body), len(data))
        body += data
    size = 128 + table + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntr" + space + b"XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 24 + b"\0" * 4 + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
              + b"\0" * 48)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + entries + body


def wide_rgb_icc() -> bytes:
    """Adobe RGB (1998)-like primaries (D50-adapted), gamma 2.2: clearly not sRGB."""
    return make_icc(b"RGB ", [
        (b"desc", _desc("Test Wide RGB")), (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.6097, 0.3111, 0.0195)), (b"gXYZ", _xyz(0.2053, 0.6257, 0.0609)),
        (b"bXYZ", _xyz(0.1492, 0.0632, 0.7446)),
        (b"rTRC", _curve(2.2)), (b"gTRC", _curve(2.2)), (b"bTRC", _curve(2.2)),
        (b"cprt", b"text" + b"\0" * 4 + b"public domain\0"),
    ])


def gray_icc(gamma: float = 1.8) -> bytes:
    return make_icc(b"GRAY", [(b"desc", _desc(f"Test Gray {gamma}")), (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
                              (b"kTRC", _curve(gamma)), (b"cprt", b"text" + b"\0" * 4 + b"pd\0")])


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# ------------------------------------------------------------------------------------------- extensions
def test_supported_extensions() -> None:
    assert SUPPORTED_EXTENSIONS == {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"}
    assert is_supported("a/B.JPG") and is_supported("x.tiff") and is_supported(Path("y.webp"))
    assert not is_supported("notes.txt") and not is_supported("noext")


# ------------------------------------------------------------------------------------------ orientation
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow_exif_transpose(tmp_path: Path, orientation: int) -> None:
    path = tmp_path / f"o{orientation}.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(asymmetric()).save(path, exif=exif, quality=95)
    img = read_image(path)
    with Image.open(path) as im:
        expected = np.array(ImageOps.exif_transpose(im).convert("RGB"))
    assert img.pixels.shape == expected.shape
    np.testing.assert_array_equal(img.pixels, expected)  # same decoder, so exactly equal
    assert img.pixels.flags.c_contiguous
    assert img.info["orientation"] == orientation
    assert img.size == (expected.shape[1], expected.shape[0])


@pytest.mark.parametrize("orientation, top_left", [(6, (30, 30, 230)), (3, (230, 230, 30)), (8, (30, 230, 30))])
def test_orientation_puts_pixels_upright(tmp_path: Path, orientation: int, top_left: tuple) -> None:
    # Stored quadrants: red TL, green TR, blue BL, yellow BR (24 x 40).
    path = tmp_path / "o.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(asymmetric()).save(path, exif=exif, quality=95)
    img = read_image(path)
    expected_shape = (40, 24, 3) if orientation in (6, 8) else (24, 40, 3)
    assert img.pixels.shape == expected_shape  # 90-degree turns swap width and height
    assert np.abs(img.pixels[2, 2].astype(int) - top_left).max() < 12


def test_orientation_reset_on_write(tmp_path: Path) -> None:
    path = tmp_path / "o6.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(asymmetric()).save(path, exif=exif, quality=95)
    img = read_image(path)
    out = write_image(tmp_path / "out.png", img.pixels, img)
    again = read_image(out)
    assert again.info["orientation"] == 1
    np.testing.assert_array_equal(again.pixels, img.pixels)  # PNG is lossless and nothing turns twice


# ---------------------------------------------------------------------------------------------- 16 bit
def test_16bit_rgb_tiff_round_trip_is_exact(tmp_path: Path) -> None:
    data = np.random.default_rng(1).integers(0, 65536, (12, 17, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "scan.tif", data, photometric="rgb")
    img = read_image(tmp_path / "scan.tif")
    assert img.pixels.dtype == np.uint16 and img.bit_depth == 16 and img.format == "TIFF"
    np.testing.assert_array_equal(img.pixels, data)
    out = write_image(tmp_path / "out" / "scan_colour.tif", img.pixels, img, model_name="m")
    again = read_image(out)
    assert again.pixels.dtype == np.uint16
    np.testing.assert_array_equal(again.pixels, data)


def test_16bit_gray_tiff_is_gray_rgb(tmp_path: Path) -> None:
    gray = (np.arange(10 * 14, dtype=np.uint16).reshape(10, 14) * 450).astype(np.uint16)
    tifffile.imwrite(tmp_path / "g.tif", gray, photometric="minisblack")
    img = read_image(tmp_path / "g.tif")
    assert img.pixels.shape == (10, 14, 3) and img.pixels.dtype == np.uint16
    for c in range(3):
        np.testing.assert_array_equal(img.pixels[..., c], gray)
    assert img.was_color is False


def test_16bit_lzw_tiff_without_imagecodecs(tmp_path: Path) -> None:
    # OpenCV writes LZW, which tifffile cannot decode without the optional imagecodecs package.
    data = np.random.default_rng(2).integers(0, 65536, (9, 11, 3), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "lzw.tif"), data[:, :, ::-1])
    img = read_image(tmp_path / "lzw.tif")
    np.testing.assert_array_equal(img.pixels, data)


def test_16bit_png_read_and_write(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 65536, (8, 13, 3), dtype=np.uint16)
    alpha = rng.integers(0, 65536, (8, 13), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "rgba16.png"), np.dstack([rgb[:, :, ::-1], alpha]))
    img = read_image(tmp_path / "rgba16.png")
    assert img.bit_depth == 16 and img.format == "PNG"
    np.testing.assert_array_equal(img.pixels, rgb)
    np.testing.assert_array_equal(img.alpha, alpha)
    out = write_image(tmp_path / "o.png", img.pixels, img)
    back = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back[:, :, 2::-1], rgb)
    np.testing.assert_array_equal(back[:, :, 3], alpha)


def test_16bit_metadata_orientation_and_png_output(tmp_path: Path) -> None:
    data = np.random.default_rng(5).integers(0, 65536, (6, 10, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "o.tif", data, photometric="rgb",
                     extratags=[(274, "H", 1, 6, True), (315, "s", 0, "Ann", True)])
    img = read_image(tmp_path / "o.tif")
    np.testing.assert_array_equal(img.pixels, np.rot90(data, k=-1))
    assert exif_of(img)[0x013B] == "Ann"
    out = write_image(tmp_path / "o16.png", img.pixels, img, model_name="m")
    again = read_image(out)
    assert again.bit_depth == 16 and again.info["orientation"] == 1
    np.testing.assert_array_equal(again.pixels, img.pixels)
    assert exif_of(again)[0x013B] == "Ann" and b"restorer:Model" in again.xmp


def test_16bit_gray_png(tmp_path: Path) -> None:
    gray = np.random.default_rng(4).integers(0, 65536, (7, 9), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "g16.png"), gray)
    img = read_image(tmp_path / "g16.png")
    assert img.pixels.dtype == np.uint16
    np.testing.assert_array_equal(img.pixels[..., 1], gray)


def test_16bit_to_8bit_formats_rounds(tmp_path: Path) -> None:
    px = np.full((4, 5, 3), 257 * 100 + 100, np.uint16)  # 100.39 in 8-bit units -> 100
    out = write_image(tmp_path / "x.bmp", px)
    with Image.open(out) as im:
        assert im.mode == "RGB" and np.array(im).max() == 100


# ------------------------------------------------------------------------------------ modes and alpha
def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    Image.fromarray(colourful()).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    img = read_image(tmp_path / "c.jpg")
    assert img.pixels.shape == (24, 32, 3) and img.pixels.dtype == np.uint8 and img.alpha is None
    with Image.open(tmp_path / "c.jpg") as im:
        assert im.mode == "CMYK"
        expected = np.array(im.convert("RGB"))
    np.testing.assert_array_equal(img.pixels, expected)
    assert img.was_color is True


def test_palette_png_with_transparency_keeps_alpha(tmp_path: Path) -> None:
    pal = Image.fromarray(colourful()).convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    idx = np.array(pal)
    pal.save(tmp_path / "p.png", transparency=int(idx[0, 0]))
    img = read_image(tmp_path / "p.png")
    assert img.alpha is not None and img.alpha.dtype == np.uint8
    np.testing.assert_array_equal(img.alpha, np.where(idx == idx[0, 0], 0, 255))
    out = write_image(tmp_path / "p_out.png", img.pixels, img)
    with Image.open(out) as im:
        assert im.mode == "RGBA"
        np.testing.assert_array_equal(np.array(im)[..., 3], img.alpha)


def test_la_png_gray_with_alpha(tmp_path: Path) -> None:
    g = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (6, 1))
    a = np.tile(np.arange(0, 250, 10, dtype=np.uint8)[::-1], (6, 1))
    Image.fromarray(np.dstack([g, a]), "LA").save(tmp_path / "la.png")
    img = read_image(tmp_path / "la.png")
    np.testing.assert_array_equal(img.pixels, np.repeat(g[..., None], 3, axis=2))
    np.testing.assert_array_equal(img.alpha, a)
    assert img.was_color is False
    out = write_image(tmp_path / "la_out.png", img.pixels, img)
    with Image.open(out) as im:
        assert im.mode == "RGBA"
        np.testing.assert_array_equal(np.array(im)[..., 3], a)


def test_rgba_png_alpha_round_trip_and_dropped_for_jpeg(tmp_path: Path) -> None:
    rgb = colourful()
    alpha = np.linspace(0, 255, rgb.shape[0] * rgb.shape[1]).reshape(rgb.shape[:2]).astype(np.uint8)
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(tmp_path / "a.png")
    img = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(img.pixels, rgb)
    np.testing.assert_array_equal(img.alpha, alpha)
    tinted = img.pixels.copy()
    tinted[..., 0] //= 2
    with Image.open(write_image(tmp_path / "o.png", tinted, img)) as im:
        np.testing.assert_array_equal(np.array(im), np.dstack([tinted, alpha]))
    with Image.open(write_image(tmp_path / "o.tif", tinted, img)) as im:
        np.testing.assert_array_equal(np.array(im), np.dstack([tinted, alpha]))
    with Image.open(write_image(tmp_path / "o.webp", tinted, img)) as im:
        assert im.mode == "RGBA"
        assert np.abs(np.array(im)[..., 3].astype(int) - alpha).max() <= 2
    with Image.open(write_image(tmp_path / "o.jpg", tinted, img)) as im:
        assert im.mode == "RGB"  # JPEG cannot hold alpha: documented, dropped


def test_bilevel_and_gray_jpeg(tmp_path: Path) -> None:
    Image.fromarray(np.eye(8, dtype=bool)).save(tmp_path / "b.png")
    img = read_image(tmp_path / "b.png")
    assert img.pixels.shape == (8, 8, 3) and set(np.unique(img.pixels)) == {0, 255}
    Image.fromarray(np.full((8, 8), 90, np.uint8)).save(tmp_path / "g.jpg")
    assert read_image(tmp_path / "g.jpg").was_color is False


def test_was_color(tmp_path: Path) -> None:
    Image.fromarray(colourful()).save(tmp_path / "c.png")
    gray = np.repeat(colourful()[..., 1:2], 3, axis=2)
    Image.fromarray(gray).save(tmp_path / "g.png")
    assert read_image(tmp_path / "c.png").was_color is True
    assert read_image(tmp_path / "g.png").was_color is False


# ------------------------------------------------------------------------------------------------- ICC
def test_handmade_profiles_are_valid() -> None:
    assert ImageCms.ImageCmsProfile(io.BytesIO(wide_rgb_icc())).profile.xcolor_space == "RGB "
    assert ImageCms.ImageCmsProfile(io.BytesIO(gray_icc())).profile.xcolor_space == "GRAY"


def test_srgb_profile_kept_and_pixels_untouched(tmp_path: Path) -> None:
    icc = srgb_icc()
    Image.fromarray(colourful()).save(tmp_path / "s.png", icc_profile=icc)
    img = read_image(tmp_path / "s.png")
    assert img.icc == icc
    np.testing.assert_array_equal(img.pixels, colourful())
    with Image.open(write_image(tmp_path / "o.jpg", img.pixels, img)) as im:
        assert im.info["icc_profile"] == icc


def test_non_srgb_rgb_profile_converted_and_restored(tmp_path: Path) -> None:
    icc = wide_rgb_icc()
    raw = (100 + colourful().astype(int) // 3).astype(np.uint8)  # muted: inside the sRGB gamut, no clipping
    Image.fromarray(raw).save(tmp_path / "wide.png", icc_profile=icc)
    img = read_image(tmp_path / "wide.png")
    assert img.icc == icc and img.info.get("icc_converted")
    with Image.open(tmp_path / "wide.png") as im:
        expected = np.array(ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                                      ImageCms.createProfile("sRGB"), outputMode="RGB"))
    assert np.abs(img.pixels.astype(int) - expected).max() <= 1
    assert np.abs(img.pixels.astype(int) - raw).max() > 5  # the conversion really changed the numbers
    out = write_image(tmp_path / "o.png", img.pixels, img)
    with Image.open(out) as im:
        assert im.info["icc_profile"] == icc  # the original profile travels with the output...
        stored = np.array(im.convert("RGB"))
    assert np.abs(stored.astype(int) - raw).max() <= 3  # ...and the pixels are back in its space
    assert np.abs(read_image(out).pixels.astype(int) - img.pixels).max() <= 3


def test_gray_profile_converted_and_srgb_embedded(tmp_path: Path) -> None:
    g = np.tile(np.arange(0, 240, 10, dtype=np.uint8), (5, 1))
    Image.fromarray(g, "L").save(tmp_path / "g.png", icc_profile=gray_icc(1.8))
    img = read_image(tmp_path / "g.png")
    assert img.info.get("icc_converted") and img.was_color is False
    assert np.abs(img.pixels.astype(int) - np.repeat(g[..., None], 3, 2)).max() > 3  # gamma 1.8 -> sRGB
    out = write_image(tmp_path / "o.jpg", img.pixels, img)
    with Image.open(out) as im:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
    assert prof.profile.xcolor_space == "RGB "  # colour output cannot carry a gray profile
    assert "sRGB" in ImageCms.getProfileDescription(prof)


def test_16bit_with_rgb_profile_matches_8bit_conversion(tmp_path: Path) -> None:
    # 16-bit colour management interpolates a LUT sampled through Pillow's 8-bit engine. Colours are kept
    # inside the sRGB gamut: where the conversion clips, interpolation may deviate by a few levels.
    icc = wide_rgb_icc()
    muted = (100 + colourful().astype(int) // 3).astype(np.uint8)
    data = muted.astype(np.uint16) * 257
    tifffile.imwrite(tmp_path / "w16.tif", data, photometric="rgb", iccprofile=icc)
    img = read_image(tmp_path / "w16.tif")
    assert img.pixels.dtype == np.uint16 and img.icc == icc
    eight = ImageCms.profileToProfile(Image.fromarray(muted), ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                      ImageCms.createProfile("sRGB"), outputMode="RGB")
    assert np.abs(img.pixels.astype(float) / 257 - np.array(eight)).max() <= 1.5
    out = write_image(tmp_path / "o.tif", img.pixels, img)
    again = tifffile.imread(out)
    assert again.dtype == np.uint16 and np.abs(again.astype(float) - data).max() <= 3 * 257


# -------------------------------------------------------------------------------------------- metadata
def _exif_source(tmp_path: Path, description: str | None = None) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x013B] = "Ann Example"  # Artist
    exif[0x010F] = "Kodak"  # Make
    if description:
        exif[0x010E] = description
    exif.get_ifd(0x8769)[0x9003] = "1952:06:01 10:00:00"  # DateTimeOriginal
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
           b'xmlns:dc="http://purl.org/dc/elements/1.1/" tiff:Orientation="6" dc:format="image/jpeg"/>'
           b"</rdf:RDF></x:xmpmeta>")
    path = tmp_path / "src.jpg"
    Image.fromarray(colourful()).save(path, exif=exif, xmp=xmp, dpi=(600, 300), comment=b"scanned 2024", quality=95)
    return path


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif", ".webp"])
def test_exif_copied_with_orientation_reset_and_provenance(tmp_path: Path, ext: str) -> None:
    img = read_image(_exif_source(tmp_path))
    out = write_image(tmp_path / f"out{ext}", img.pixels, img, model_name="tiny-test")
    exif = exif_of(path=out)
    assert exif.get(0x013B) == "Ann Example" and exif.get(0x010F) == "Kodak"
    assert exif.get_ifd(0x8769).get(0x9003) == "1952:06:01 10:00:00"
    assert exif.get(0x0112, 1) == 1
    assert exif.get(0x0131) == SOFTWARE
    assert "colourised by restorer" in exif.get(0x010E, "").lower() and "tiny-test" in exif[0x010E]
    again = read_image(out)
    xmp = again.xmp.decode("utf-8")
    assert "restorer:Model=\"tiny-test\"" in xmp and "colourised by Restorer" in xmp
    assert 'dc:format="image/jpeg"' in xmp  # the original packet is kept...
    assert 'tiff:Orientation="1"' in xmp  # ...with its orientation reset too
    assert again.pixels.shape == img.pixels.shape  # upright, no double rotation


def test_original_description_kept_and_rewrite_does_not_stack(tmp_path: Path) -> None:
    img = read_image(_exif_source(tmp_path, description="Grandma, summer 1952"))
    out = write_image(tmp_path / "a.jpg", img.pixels, img, model_name="m1")
    assert exif_of(path=out)[0x010E] == "Grandma, summer 1952"
    first = read_image(out)
    out2 = write_image(tmp_path / "b.jpg", first.pixels, first, model_name="m2")
    xmp = read_image(out2).xmp.decode()
    assert xmp.count("xmlns:restorer=") == 1 and 'restorer:Model="m2"' in xmp


@pytest.mark.parametrize("ext", [".jpg", ".tif", ".png"])
def test_non_ascii_captions_survive(tmp_path: Path, ext: str) -> None:
    # EXIF strings are often UTF-8 in practice; Pillow alone would write them back as "Gro??mutter".
    exif = Image.Exif()
    exif[0x010E] = "Großmutter, Łódź 1952".encode()
    exif[0x013B] = "Zoë".encode()
    Image.fromarray(colourful()).save(tmp_path / "u.jpg", exif=exif)
    img = read_image(tmp_path / "u.jpg")
    out = write_image(tmp_path / f"o{ext}", img.pixels, img, model_name="модель")
    got = exif_of(path=out)
    assert got[0x010E].encode("latin-1").decode("utf-8") == "Großmutter, Łódź 1952"
    assert got[0x013B].encode("latin-1").decode("utf-8") == "Zoë"
    assert 'restorer:Model="модель"' in read_image(out).xmp.decode("utf-8")


def test_dpi_comment_and_png_text_preserved(tmp_path: Path) -> None:
    img = read_image(_exif_source(tmp_path))
    assert img.metadata.dpi == (300.0, 600.0)  # swapped with the 90-degree orientation
    with Image.open(write_image(tmp_path / "o.jpg", img.pixels, img)) as im:
        assert tuple(round(d) for d in im.info["dpi"]) == (300, 600)
        assert im.info["comment"] == b"scanned 2024"
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Title", "Wedding")
    meta.add_itxt("Author", "Zoë")
    Image.fromarray(colourful()).save(tmp_path / "t.png", pnginfo=meta, dpi=(200, 200))
    png = read_image(tmp_path / "t.png")
    with Image.open(write_image(tmp_path / "t_out.png", png.pixels, png, model_name="m")) as im:
        assert im.text["Title"] == "Wedding" and im.text["Author"] == "Zoë"
        assert im.text["Software"] == SOFTWARE and "m" in im.text["Description"]
        assert tuple(round(d) for d in im.info["dpi"]) == (200, 200)


def test_write_without_source_has_provenance(tmp_path: Path) -> None:
    out = write_image(tmp_path / "plain.tif", colourful(), model_name="x")
    with tifffile.TiffFile(out) as tf:
        tags = tf.pages[0].tags
        assert tags["Software"].value == SOFTWARE
        assert "colourised by restorer" in tags["ImageDescription"].value.lower()
        assert b"restorer:Model" in bytes(tags[700].value)


def test_float_pixels_accepted(tmp_path: Path) -> None:
    out = write_image(tmp_path / "f.png", colourful().astype(np.float32) / 255.0)
    np.testing.assert_array_equal(read_image(out).pixels, colourful())
    with pytest.raises(ValueError):
        write_image(tmp_path / "bad.png", np.zeros((4, 4), np.uint8))


# ------------------------------------------------------------------------------ atomic and never-overwrite
def _failing_save(monkeypatch, exc: BaseException) -> None:
    def save(self, fp, *args, **kwargs):
        fp.write(b"\xff\xd8 half a JPEG")  # something is on disk when the encoder dies
        raise exc

    monkeypatch.setattr(Image.Image, "save", save)


def test_failed_encode_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    _failing_save(monkeypatch, OSError("encoder exploded"))
    with pytest.raises(ImageError, match="o.jpg"):
        write_image(tmp_path / "o.jpg", colourful())
    assert list(tmp_path.iterdir()) == []


def test_failed_encode_keeps_existing_output(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "o.jpg"
    out.write_bytes(b"previous result")
    _failing_save(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(ImageError, match="no space left"):
        write_image(out, colourful(), overwrite=True)
    assert out.read_bytes() == b"previous result"
    assert leftovers(tmp_path) == []


def test_interrupt_during_write_cleans_temp(tmp_path: Path, monkeypatch) -> None:
    _failing_save(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        write_image(tmp_path / "o.jpg", colourful())
    assert list(tmp_path.iterdir()) == []


def test_never_overwrites_the_source(tmp_path: Path) -> None:
    src = tmp_path / "photo.png"
    Image.fromarray(colourful()).save(src)
    before = src.read_bytes()
    img = read_image(src)
    for target in (src, tmp_path / "sub" / ".." / "photo.png"):
        with pytest.raises(ImageError, match="original"):
            write_image(target, img.pixels, img, overwrite=True)
    os.link(src, tmp_path / "hardlink.png")
    with pytest.raises(ImageError, match="original"):
        write_image(tmp_path / "hardlink.png", img.pixels, img, overwrite=True)
    assert src.read_bytes() == before


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "o.png"
    out.write_bytes(b"keep me")
    with pytest.raises(ImageError, match="already exists"):
        write_image(out, colourful())
    assert out.read_bytes() == b"keep me"
    write_image(out, colourful(), overwrite=True)
    np.testing.assert_array_equal(read_image(out).pixels, colourful())
    assert leftovers(tmp_path) == []


def test_creates_parents_and_normal_permissions(tmp_path: Path) -> None:
    out = write_image(tmp_path / "a" / "b" / "c.webp", colourful())
    assert out.exists() and read_image(out).format == "WEBP"
    if os.name == "posix":
        assert os.stat(out).st_mode & 0o044  # not the 0600 of a temp file


def test_unwritable_folder(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.name == "posix" and os.geteuid() != 0:
        folder.chmod(0o500)
    else:  # root (or Windows) ignores the mode bits: simulate what the OS would say
        def deny(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        import restorer.core.atomic as atomic

        monkeypatch.setattr(atomic.tempfile, "mkstemp", deny)
    try:
        with pytest.raises(ImageError) as e:
            write_image(folder / "o.png", colourful())
        assert str(e.value) == f"cannot write to {folder}: permission denied"
    finally:
        folder.chmod(0o700)
    assert list(folder.iterdir()) == []


def test_unknown_output_format(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="x.gif"):
        write_image(tmp_path / "x.gif", colourful())
    out = write_image(tmp_path / "x.bin", colourful(), fmt="png")  # fmt wins over the extension
    assert read_image(out).format == "PNG"


# ------------------------------------------------------------------------------------------- bad inputs
def _bomb_png(w: int, h: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


def _truncated_jpeg(tmp_path: Path) -> bytes:
    Image.fromarray(colourful(64, 64)).save(tmp_path / "full.jpg", quality=95)
    data = (tmp_path / "full.jpg").read_bytes()
    return data[: len(data) // 2]


def _truncated_png16(tmp_path: Path) -> bytes:
    cv2.imwrite(str(tmp_path / "full16.png"), np.random.default_rng(0).integers(0, 65535, (32, 32, 3), np.uint16))
    data = (tmp_path / "full16.png").read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize("name, make, expected", [
    ("empty.jpg", lambda t: b"", "empty.jpg: file is empty (0 bytes)"),
    ("half.jpg", _truncated_jpeg, "half.jpg: truncated or corrupt JPEG"),
    ("notes.jpg", lambda t: b"Shopping list\n- milk\n- eggs\n", "notes.jpg: not an image (it looks like text)"),
    ("bomb.png", lambda t: _bomb_png(30000, 30000),
     "bomb.png: 30000x30000 = 900 MP exceeds the 250 MP limit (use --max-pixels to raise it)"),
    ("half16.png", _truncated_png16, "half16.png: truncated or corrupt PNG"),
    ("junk.png", lambda t: b"\x00\x01\x02\x03" * 20, "junk.png: not an image (unrecognised file format)"),
    ("anim.jpg", lambda t: b"GIF89a" + b"\0" * 30, "anim.jpg: truncated or corrupt GIF"),
])
def test_bad_inputs_give_one_line_errors(tmp_path: Path, capfd, name: str, make, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    with pytest.raises(ImageError) as e:
        read_image(path)
    assert str(e.value) == expected
    assert "\n" not in str(e.value)
    assert "libpng" not in capfd.readouterr().err  # no decoder noise on the console


def test_missing_folder_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"^ghost\.jpg: no such file$"):
        read_image(tmp_path / "ghost.jpg")
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)
    if os.name == "posix" and os.geteuid() != 0:
        p = tmp_path / "secret.png"
        Image.fromarray(colourful()).save(p)
        p.chmod(0)
        with pytest.raises(ImageError, match=r"^secret\.png: permission denied$"):
            read_image(p)


def test_max_pixels_is_per_call_not_pillows_global(tmp_path: Path, monkeypatch) -> None:
    Image.fromarray(colourful(30, 40)).save(tmp_path / "p.png")
    with pytest.raises(ImageError, match=r"^p\.png: 40x30 = 0\.0012 MP exceeds the 0\.001 MP limit"):
        read_image(tmp_path / "p.png", max_pixels=1000)
    # Pillow's own limit (a process-wide global) does not stand in for ours.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    assert read_image(tmp_path / "p.png").size == (40, 30)


def test_max_pixels_checked_before_decoding_tiff(tmp_path: Path, monkeypatch) -> None:
    tifffile.imwrite(tmp_path / "big16.tif", np.zeros((50, 60, 3), np.uint16), photometric="rgb")
    decoded = []
    monkeypatch.setattr(tifffile.TiffPage, "asarray", lambda *a, **k: decoded.append(1))
    with pytest.raises(ImageError, match=r"big16\.tif: 60x50 = 0\.003 MP exceeds the 0\.001 MP limit"):
        read_image(tmp_path / "big16.tif", max_pixels=1000)
    assert decoded == []
