"""Metadata is never lost: IPTC, XMP, ICC, EXIF, PNG text and TIFF text tags survive into every output format.

Inputs are made here (Pillow writes the pixels and PNG text, ExifTool the IPTC/EXIF/XMP blocks), colourised
through the real batch loop with a tiny test model, written to JPEG, PNG, TIFF and WebP, and read back field
by field with ExifTool (an independent reader) and with Pillow. Which format carries which block:
docs/metadata.md.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from restorer.core.io import Provenance, read_image, write_image
from restorer.core.io.xmp import DIGITAL_SOURCE_TYPE

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None, reason="exiftool is not installed (apt-get install libimage-exiftool-perl): the independent "
                             "reader these cross-checks compare against")

CAPTION, KEYWORDS, BYLINE = "Grandmother at the mill, Großmutter", ["mill", "family", "Mühle"], "Studio Müller"
COPYRIGHT, CREDIT, TITLE = "© Archiv Müller 1931", "Archiv Müller", "Die Mühle"
FORMATS = ("jpg", "png", "tif", "webp")


def photo(h: int = 40, w: int = 56) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    g = (60 + 150 * x / w + 20 * np.sin(y / 3)).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def exiftool_write(path: Path, *args: str) -> None:
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", "-codedcharacterset=utf8", *args, str(path)], check=True)


def exiftool_read(path: Path) -> dict:
    out = subprocess.run([EXIFTOOL, "-j", "-G1", "-a", "-struct", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)[0]


def as_list(v) -> list:
    return v if isinstance(v, list) else [v]


IPTC_ARGS = [f"-IPTC:Caption-Abstract={CAPTION}", *[f"-IPTC:Keywords={k}" for k in KEYWORDS],
             f"-IPTC:By-line={BYLINE}", f"-IPTC:CopyrightNotice={COPYRIGHT}", f"-IPTC:Credit={CREDIT}"]


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    """A JPEG and a TIFF with IPTC + EXIF Artist + XMP title + an sRGB ICC, and a PNG with text chunks."""
    if EXIFTOOL is None:  # it writes the IPTC block every test on these files reads back (Pillow cannot)
        pytest.skip("exiftool is not installed (apt-get install libimage-exiftool-perl): it writes these test photos' "
                    "IPTC, EXIF and XMP")
    folder = tmp_path / "in"
    folder.mkdir()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(photo()).save(folder / "scan.jpg", quality=95, icc_profile=icc)
    Image.fromarray(photo()).save(folder / "scan.tif", icc_profile=icc)
    for name in ("scan.jpg", "scan.tif"):
        exiftool_write(folder / name, *IPTC_ARGS, f"-EXIF:Artist={BYLINE}", f"-XMP-dc:Title={TITLE}",
                       "-XMP-xmpMM:DocumentID=xmp.did:archive-0042", "-EXIF:Orientation#=1")
    text = PngImagePlugin.PngInfo()
    text.add_text("Title", TITLE)
    text.add_itxt("Author", BYLINE)
    text.add_text("Copyright", "Archiv 1931")
    text.add_text("Scanner", "Epson V850")  # a keyword of the archive's own
    Image.fromarray(photo()).save(folder / "print.png", pnginfo=text)
    return {p.suffix: p for p in folder.iterdir()}


@pytest.fixture
def outputs(sources, tmp_path: Path, tiny_model_dir) -> dict[tuple[str, str], Path]:
    """Every source colourised by the real batch loop into every format."""
    from restorer.core.batch import colorize_files, find_images
    from restorer.core.hints import Hint
    from restorer.core.models import load_model

    model = load_model("tiny-test", device="cpu")
    hints = [Hint(0.5, 0.5, (20.0, 10.0)), Hint(0.2, 0.2, (-5.0, 5.0))]
    result = {}
    for ext in FORMATS:
        out_dir = tmp_path / f"out_{ext}"
        report = colorize_files(find_images([tmp_path / "in"]), out_dir, model, fmt=ext, hints=hints,
                                strength=0.8)
        assert report.ok, report.failed
        for src, out in report.done:
            result[(src.suffix, ext)] = out
    assert len(result) == 3 * len(FORMATS)
    return result


@needs_exiftool
@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("src", [".jpg", ".tif"])
def test_iptc_exif_xmp_survive_by_exiftool(outputs, src: str, ext: str) -> None:
    got = exiftool_read(outputs[(src, ext)])
    # XMP (IPTC Core): every format carries it, so the archive's fields are there whatever the format.
    assert got["XMP-dc:Description"] == CAPTION
    assert as_list(got["XMP-dc:Subject"]) == KEYWORDS
    assert as_list(got["XMP-dc:Creator"]) == [BYLINE]
    assert got["XMP-dc:Rights"] == COPYRIGHT
    assert got["XMP-photoshop:Credit"] == CREDIT
    assert got["XMP-dc:Title"] == TITLE  # the source's own XMP, merged rather than replaced
    assert got["IFD0:Artist"] == BYLINE  # non-ASCII TIFF/EXIF text intact (was "Studio M??ller")
    assert got["IFD0:Orientation"] == "Horizontal (normal)"
    if ext in ("jpg", "tif", "png"):  # IPTC-IIM itself: JPEG APP13, TIFF tag 33723, PNG raw profile
        assert got["IPTC:Caption-Abstract"] == CAPTION
        assert as_list(got["IPTC:Keywords"]) == KEYWORDS
        assert got["IPTC:By-line"] == BYLINE
        assert got["IPTC:CopyrightNotice"] == COPYRIGHT
        assert got["IPTC:Credit"] == CREDIT
    assert "ICC_Profile:ProfileDescription" in got


@needs_exiftool
@pytest.mark.parametrize("ext", FORMATS)
def test_provenance_in_xmp_by_exiftool(outputs, ext: str) -> None:
    got = exiftool_read(outputs[(".jpg", ext)])
    assert got["XMP-iptcExt:DigitalSourceType"] == DIGITAL_SOURCE_TYPE
    derived = got["XMP-xmpMM:DerivedFrom"]
    assert derived["FilePath"] == "scan.jpg" and derived["DocumentID"] == "xmp.did:archive-0042"
    assert got["XMP-restorer:Model"] == "tiny-test"
    assert float(got["XMP-restorer:Strength"]) == pytest.approx(0.8)
    assert int(got["XMP-restorer:Hints"]) == 2


@needs_exiftool
@pytest.mark.parametrize("ext", FORMATS)
def test_png_text_survives_by_exiftool(outputs, ext: str) -> None:
    got = exiftool_read(outputs[(".png", ext)])
    assert got["XMP-dc:Title"] == TITLE and as_list(got["XMP-dc:Creator"]) == [BYLINE]
    assert got["XMP-dc:Rights"] == "Archiv 1931"
    assert got["IFD0:Artist"] == BYLINE and got["IFD0:Copyright"] == "Archiv 1931"
    if ext == "png":  # text chunks themselves, the archive's own keyword included
        assert got["PNG:Author"] == BYLINE and got["PNG:Title"] == TITLE and got["PNG:Scanner"] == "Epson V850"


@pytest.mark.parametrize("ext", FORMATS)
def test_metadata_read_back_by_pillow_and_restorer(outputs, ext: str) -> None:
    out = outputs[(".tif", ext)]
    with Image.open(out) as im:
        xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")  # Pillow's own XMP reading
        xmp = xmp.decode("utf-8") if isinstance(xmp, bytes) else xmp
        assert CAPTION in xmp and DIGITAL_SOURCE_TYPE in xmp and "<stRef:filePath>scan.tif</stRef:filePath>" in xmp
        exif = im.getexif()
        assert exif[0x0112] == 1
        assert exif[315].encode("latin-1").decode("utf-8") == BYLINE  # Pillow reads EXIF text as Latin-1
        assert "icc_profile" in im.info
    again = read_image(out)
    text = again.xmp.decode("utf-8")
    assert CAPTION in text and BYLINE in text and DIGITAL_SOURCE_TYPE in text
    if ext in ("jpg", "tif", "png"):
        from restorer.core.io import iptc

        fields = iptc.fields(again.metadata.iptc)
        assert fields["caption"] == CAPTION and fields["keywords"] == KEYWORDS and fields["byline"] == [BYLINE]


def test_iptc_block_is_carried_byte_for_byte(sources, tmp_path: Path) -> None:
    if EXIFTOOL is None:
        pytest.skip("exiftool is not installed: it writes the IPTC block this test starts from")
    img = read_image(sources[".jpg"])
    assert img.metadata.iptc
    for ext in ("jpg", "tif", "png"):
        out = write_image(tmp_path / f"o.{ext}", img.pixels, img)
        assert read_image(out).metadata.iptc == img.metadata.iptc


def test_existing_provenance_is_replaced_not_stacked(tmp_path: Path) -> None:
    first = write_image(tmp_path / "a.png", photo(), provenance=Provenance(model="one", strength=1.0, hints=0))
    second = write_image(tmp_path / "b.png", photo(), read_image(first), provenance=Provenance(model="two"))
    xmp = read_image(second).xmp.decode("utf-8")
    assert xmp.count(DIGITAL_SOURCE_TYPE) == 1 and xmp.count("DerivedFrom") == 2  # open and close tag
    assert 'restorer:Model="two"' in xmp and "one" not in xmp
    assert "<stRef:filePath>a.png</stRef:filePath>" in xmp


def test_unparseable_xmp_is_kept(tmp_path: Path) -> None:
    bad = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' \
          b"<rdf:Description><broken></rdf:RDF></x:xmpmeta>"
    src = tmp_path / "s.jpg"
    Image.fromarray(photo()).save(src, xmp=bad)
    img = read_image(src)
    out = read_image(write_image(tmp_path / "o.jpg", img.pixels, img)).xmp
    assert out.startswith(bad[:60]) and b"<broken>" in out and DIGITAL_SOURCE_TYPE.encode() in out
