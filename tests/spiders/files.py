"""Small real attachment files generated in tests: a hand-written PDF with Chinese text, a DOCX via python-docx.

The PDF uses a Type0 font with Identity-H encoding whose glyph ids are the characters' code points and a
ToUnicode CMap that maps them back, so a text extractor recovers the Chinese text exactly (no font program
is embedded: viewers would show boxes, but the text layer is what portals' PDFs give an extractor too).
Output is deterministic: same lines, same bytes.
"""
from __future__ import annotations

import io


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
