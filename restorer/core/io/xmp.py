"""The output's XMP packet: the source's own XMP kept, provenance added, captions from IIM/TIFF/PNG mirrored.

Provenance is written the standard way (IPTC ``Iptc4xmpExt:DigitalSourceType`` =
``compositeWithTrainedAlgorithmicMedia``, ``xmpMM:DerivedFrom`` naming the original file) and in Restorer's
own namespace (software, model, colour strength, number of hints). Properties the source already has are
never repeated: a mirrored caption is only added where the XMP has none, and an earlier Restorer's
provenance is replaced, so colourising a colourised photo does not stack it.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stRef": "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    # Our own namespace: adding properties here can never clash with the source's own ones.
    "restorer": "http://ns.restorer.app/xmp/1.0/",
}
XMP_NS = NS["restorer"]
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
_PACKET_HEAD = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_PACKET_TAIL = '\n<?xpacket end="w"?>'
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


#: Text fields mirrored into XMP when the XMP lacks them: field -> (property, container or None for simple).
MIRRORED = {"title": ("dc:title", "Alt"), "caption": ("dc:description", "Alt"), "keywords": ("dc:subject", "Bag"),
            "byline": ("dc:creator", "Seq"), "copyright": ("dc:rights", "Alt"),
            "headline": ("photoshop:Headline", None), "credit": ("photoshop:Credit", None),
            "source": ("photoshop:Source", None)}
#: Replaced rather than kept when a source carries them (provenance of an earlier derivation).
_REPLACED = ("Iptc4xmpExt:DigitalSourceType", "xmpMM:DerivedFrom", "xmpMM:InstanceID")


@dataclass
class XmpProvenance:
    """What the output's XMP says about how it was made."""

    software: str
    note: str
    source_name: str | None = None
    model: str | None = None
    strength: float | None = None
    hints: int | None = None
    mirrored: dict[str, str | list[str]] = field(default_factory=dict)  # MIRRORED field -> text


def output_xmp(xmp: bytes | None, prov: XmpProvenance) -> bytes:
    """The source's XMP packet (orientation reset, old provenance replaced) merged with ``prov``."""
    root = _parse(xmp) if xmp else None
    if xmp and root is None:
        return _append_fallback(xmp, prov)
    if root is None:
        root = ET.Element(_q("x:xmpmeta"))
        ET.SubElement(root, _q("rdf:RDF"))
    rdf = root if root.tag == _q("rdf:RDF") else root.find(_q("rdf:RDF"))
    if root.tag == _q("rdf:RDF"):
        root = ET.Element(_q("x:xmpmeta"))
        root.append(rdf)
    source_ids = _take_source_ids(rdf)
    _strip(rdf)
    _add_provenance(rdf, prov, source_ids)
    _add_mirrored(rdf, prov.mirrored)
    return (_PACKET_HEAD + ET.tostring(root, encoding="unicode") + _PACKET_TAIL).encode("utf-8")


_BLOCK = re.compile(rb"<(x:xmpmeta|x:xapmeta|rdf:RDF)\b.*</\1\s*>", re.S)


def _parse(xmp: bytes) -> ET.Element | None:
    m = _BLOCK.search(xmp)
    if m is None:
        return None
    data = m.group(0)
    try:
        for _event, (prefix, uri) in ET.iterparse(io.BytesIO(data), events=("start-ns",)):
            if prefix and prefix not in NS and not re.fullmatch(r"ns\d+", prefix):
                ET.register_namespace(prefix, uri)  # keep the source's own prefixes on re-serialising
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError):
        return None
    rdf = root if root.tag == _q("rdf:RDF") else root.find(_q("rdf:RDF"))
    return root if rdf is not None else None


def _descriptions(rdf: ET.Element) -> list[ET.Element]:
    return rdf.findall(_q("rdf:Description"))


def _has(rdf: ET.Element, name: str) -> bool:
    q = _q(name)
    return any(q in d.attrib or d.find(q) is not None for d in _descriptions(rdf))


def _take_source_ids(rdf: ET.Element) -> dict[str, str]:
    ids = {}
    for key, name in (("documentID", "xmpMM:DocumentID"), ("instanceID", "xmpMM:InstanceID")):
        for d in _descriptions(rdf):
            value = d.attrib.get(_q(name)) or (d.findtext(_q(name)) or "").strip()
            if value:
                ids[key] = value
                break
    return ids


def _strip(rdf: ET.Element) -> None:
    """Reset orientation; drop earlier provenance and Restorer properties (ours replaces them)."""
    replaced = {_q(n) for n in _REPLACED}
    ours = f"{{{XMP_NS}}}"
    for d in _descriptions(rdf):
        if _q("tiff:Orientation") in d.attrib:
            d.attrib[_q("tiff:Orientation")] = "1"
        for child in list(d):
            if child.tag == _q("tiff:Orientation"):
                child.text = "1"
            elif child.tag in replaced or child.tag.startswith(ours):
                d.remove(child)
        for key in [k for k in d.attrib if k in replaced or k.startswith(ours)]:
            del d.attrib[key]
        if len(d) == 0 and set(d.attrib) <= {_q("rdf:about")}:
            rdf.remove(d)


def _add_provenance(rdf: ET.Element, prov: XmpProvenance, source_ids: dict[str, str]) -> None:
    d = ET.SubElement(rdf, _q("rdf:Description"), {_q("rdf:about"): ""})
    if not _has(rdf, "xmp:CreatorTool"):
        d.set(_q("xmp:CreatorTool"), prov.software)
    d.set(_q("Iptc4xmpExt:DigitalSourceType"), DIGITAL_SOURCE_TYPE)
    d.set(_q("restorer:Software"), prov.software)
    d.set(_q("restorer:Note"), prov.note)
    if prov.model:
        d.set(_q("restorer:Model"), prov.model)
    if prov.strength is not None:
        d.set(_q("restorer:Strength"), f"{prov.strength:g}")
    if prov.hints is not None:
        d.set(_q("restorer:Hints"), str(int(prov.hints)))
    if prov.source_name or source_ids:
        ref = ET.SubElement(d, _q("xmpMM:DerivedFrom"), {_q("rdf:parseType"): "Resource"})
        if prov.source_name:
            ET.SubElement(ref, _q("stRef:filePath")).text = prov.source_name
        for key, value in source_ids.items():
            ET.SubElement(ref, _q(f"stRef:{key}")).text = value


def _add_mirrored(rdf: ET.Element, mirrored: dict[str, str | list[str]]) -> None:
    d: ET.Element | None = None
    for key, (name, container) in MIRRORED.items():
        value = mirrored.get(key)
        if not value or _has(rdf, name):
            continue
        if d is None:
            d = ET.SubElement(rdf, _q("rdf:Description"), {_q("rdf:about"): ""})
        values = value if isinstance(value, list) else [value]
        if container is None:
            ET.SubElement(d, _q(name)).text = values[0]
            continue
        holder = ET.SubElement(ET.SubElement(d, _q(name)), _q(f"rdf:{container}"))
        for v in (values[:1] if container == "Alt" else values):
            li = ET.SubElement(holder, _q("rdf:li"))
            li.text = v
            if container == "Alt":
                li.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")


def _append_fallback(xmp: bytes, prov: XmpProvenance) -> bytes:
    """A packet we cannot parse is kept as it is, with our description appended when that is safe."""
    end = xmp.rfind(b"</rdf:RDF>")
    if end < 0:
        return xmp
    rdf = ET.Element(_q("rdf:RDF"))
    _add_provenance(rdf, prov, {})
    ours = ET.tostring(rdf[0], encoding="unicode")
    ours = re.sub(r'\sxmlns:rdf="[^"]*"', "", ours, count=1)  # rdf: is already bound by the packet
    return xmp[:end] + ours.encode("utf-8") + b"\n" + xmp[end:]
