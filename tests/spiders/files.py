"""Small real attachment files generated in tests: a hand-written PDF with Chinese text, a DOCX via python-docx, an OFD.

The PDF uses a Type0 font with Identity-H encoding whose glyph ids are the characters' code points and a
ToUnicode CMap that maps them back, so a text extractor recovers the Chinese text exactly (no font program
is embedded: viewers would show boxes, but the text layer is what portals' PDFs give an extractor too).
Output is deterministic: same lines, same bytes.
"""
from __future__ import annotations

import io
import zipfile


def _hex(text: str) -> str:
    return "".join(f"{ord(ch):04X}" for ch in text)


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 whose text layer is ``lines`` (BMP characters only)."""
    chars = sorted({ch for line in lines for ch in line})
    bfchar = "\n".join(f"<{ord(ch):04X}> <{ord(ch):04X}>" for ch in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{len(chars)} beginbfchar\n{bfchar}\nendbfchar\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    content = "BT\n/F1 14 Tf\n16 TL\n72 760 Td\n" + "".join(f"<{_hex(line)}> Tj T*\n" for line in lines) + "ET\n"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        "/Contents 4 0 R >>",
        None,  # content stream
        "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [6 0 R] "
        "/ToUnicode 7 0 R >>",
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R "
        "/DW 1000 /CIDToGIDMap /Identity >>",
        None,  # ToUnicode stream
        "<< /Type /FontDescriptor /FontName /SimSun /Flags 6 /FontBBox [0 -141 1000 859] /ItalicAngle 0 "
        "/Ascent 859 /Descent -141 /CapHeight 859 /StemV 80 >>",
    ]
    streams = {4: content.encode("ascii"), 7: cmap.encode("ascii")}
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode())
        if number in streams:
            data = streams[number]
            out.write(f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")
        else:
            out.write(body.encode("ascii"))
        out.write(b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """A DOCX with the given paragraphs and, optionally, a table after them (python-docx writer)."""
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


_OFD_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _ofd_text_object(oid: int, x: float, y: float, text: str, size: float = 5.0) -> str:
    return (f'<ofd:TextObject ID="{oid}" Boundary="{x} {y} 170 {size + 2}" Font="3" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}" DeltaX="g {len(text) - 1} {size}">{text}</ofd:TextCode></ofd:TextObject>')


def make_ofd(pages: list[list[list[str]]], template: str = "") -> bytes:
    """An OFD package (GB/T 33190 layout: OFD.xml -> Doc_0/Document.xml -> Pages/Page_N/Content.xml): ``pages``
    of lines, each line a list of text runs placed left to right as separate TextObjects (a run's y is shifted a
    little, as real layout engines do). ``template`` is text on a template page the pages refer to."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {_OFD_NS} Version="1.0" DocType="OFD">'
                               "<ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo>"
                               "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        page_refs = "".join(f'<ofd:Page ID="{10 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
        zf.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {_OFD_NS}>'
                    '<ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea>'
                    '<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
                    '<ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/></ofd:CommonData>'
                    f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>")
        zf.writestr("Doc_0/Tpls/Tpl_0/Content.xml", f'<ofd:Page {_OFD_NS}><ofd:Content><ofd:Layer ID="5">'
                    f"{_ofd_text_object(6, 20, 10, template)}</ofd:Layer></ofd:Content></ofd:Page>")
        for n, lines in enumerate(pages):
            objects, oid = [], 100
            for row, runs in enumerate(lines):
                x = 25.0
                for k, run in enumerate(runs):
                    objects.append(_ofd_text_object(oid, x, 40 + row * 8 + 0.3 * k, run))
                    oid += 1
                    x += 5.0 * len(run)
            objects.reverse()  # drawing order is not reading order
            zf.writestr(f"Doc_0/Pages/Page_{n}/Content.xml",
                        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {_OFD_NS}><ofd:Template TemplateID="2"/>'
                        f'<ofd:Content><ofd:Layer ID="{n + 7}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>')
    return buf.getvalue()
