"""Attachment reading (spiders.attachments) and the wait-for-attachments bookkeeping (spiders.pending)."""
from __future__ import annotations

import hashlib
import io
import zipfile

from pypdf import PdfReader, PdfWriter

from spiders.attachments import human_size, looks_like_html, read_attachment, sniff_type
from spiders.items import Attachment
from spiders.pending import Outcome, PendingDocuments

from .files import make_docx, make_ofd, make_pdf

LINES = ["测试市节能减排工作方案", "到2025年，单位工业增加值能耗比2020年下降13.5%以上。"]


def test_pdf_text_is_extracted_with_hash_and_size():
    data = make_pdf(LINES)
    content = read_attachment(data, "附件1：工作方案.pdf", "http://x.gov.cn/module/download/downfile.jsp?filename=ab12.pdf")
    assert (content.file_type, content.error) == ("pdf", None)
    assert content.text.splitlines() == LINES
    assert (content.sha256, content.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert make_pdf(LINES) == data  # the generator is deterministic, so hashes in other tests are stable


def test_docx_paragraphs_and_table_rows_in_order():
    data = make_docx(["关于印发重点任务分工的通知", "一、总体要求"], table=[["任务", "牵头单位", "完成时限"],
                                                                        ["能耗下降13.5%", "市发改委", "2025年年底前"]])
    content = read_attachment(data, "P020240105123.docx")
    assert (content.file_type, content.error) == ("docx", None)
    assert content.text.splitlines() == ["关于印发重点任务分工的通知", "一、总体要求", "任务\t牵头单位\t完成时限",
                                         "能耗下降13.5%\t市发改委\t2025年年底前"]


def _encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["加密的附件 encrypted"]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_encrypted_pdfs():
    # owner password only (printing/copying restricted): readable, as most portal PDFs are
    assert read_attachment(_encrypted(""), "a.pdf").text == "加密的附件 encrypted"
    locked = read_attachment(_encrypted("open-sesame"), "a.pdf")
    assert (locked.text, locked.error) == (None, "encrypted PDF (password required)")
    assert locked.sha256 and locked.size  # still identified by its hash


def test_corrupt_and_mislabelled_files_get_one_line_errors():
    truncated = read_attachment(make_pdf(LINES)[:400], "a.pdf")
    assert truncated.error.startswith("corrupt PDF (") and "\n" not in truncated.error
    assert truncated.text is None and truncated.sha256
    assert read_attachment(b"<<garbage>>", "x.pdf").error == "not a PDF file (no %PDF header)"
    bad_docx = read_attachment(b"PK\x03\x04 not really a zip", "x.docx")
    assert bad_docx.file_type == "docx" and bad_docx.error.startswith("corrupt DOCX (")
    assert read_attachment(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le"),
                           "x.docx").error == "encrypted DOCX (password-protected Office file)"


def test_ofd_text_in_reading_order_without_the_template():
    pages = [[["测试市人民政府关于印发", "节能减排工作方案的通知"], ["到2025年，单位工业增加值能耗比2020年下降13.5%以上。"]],
             [["二〇二四年一月五日"]]]
    data = make_ofd(pages, template="测试市人民政府文件")
    content = read_attachment(data, "附件2.ofd")
    assert (content.file_type, content.error) == ("ofd", None)
    assert content.text.splitlines() == ["测试市人民政府关于印发节能减排工作方案的通知",
                                         "到2025年，单位工业增加值能耗比2020年下降13.5%以上。", "二〇二四年一月五日"]
    # a revised OFD gives the revised line, so the attachment change shows as a text change
    revised = make_ofd([[pages[0][0], ["到2025年，单位工业增加值能耗比2020年下降12%以上。"]], pages[1]])
    assert read_attachment(revised, "附件2.ofd").text.splitlines()[1] == "到2025年，单位工业增加值能耗比2020年下降12%以上。"


def test_damaged_ofd_gets_a_one_line_error_and_keeps_its_hash():
    whole = make_ofd([[["正文"]]])
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole)) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[: len(data) // 2] if info.filename.endswith("Content.xml") else data)
    cut = read_attachment(broken.getvalue(), "x.ofd")
    assert cut.file_type == "ofd" and cut.text is None and cut.sha256
    assert cut.error.startswith("corrupt OFD (") and "\n" not in cut.error
    no_root = io.BytesIO()
    with zipfile.ZipFile(no_root, "w") as zf:
        zf.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody/></ofd:OFD>')
    assert read_attachment(no_root.getvalue(), "x.ofd").error == "corrupt OFD (OFD.xml names no DocRoot)"
    entity = io.BytesIO()  # an XML entity bomb is refused, not expanded
    with zipfile.ZipFile(entity, "w") as zf:
        zf.writestr("OFD.xml", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
                               '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>&b;</ofd:DocRoot>'
                               '</ofd:DocBody></ofd:OFD>')
    assert read_attachment(entity.getvalue(), "x.ofd").error.startswith("corrupt OFD (")


def test_types_from_magic_bytes_then_names():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert sniff_type(ole, "政策文件.wps") == "wps"
    assert sniff_type(ole, "", "http://x.gov.cn/P0123.xls") == "xls"
    assert sniff_type(ole, "附件") == "doc"
    assert sniff_type(make_pdf(["x"]), "说明.doc") == "pdf"  # magic wins over a wrong name
    ofd = io.BytesIO()
    with zipfile.ZipFile(ofd, "w") as zf:
        zf.writestr("OFD.xml", "<ofd:OFD/>")
    assert sniff_type(ofd.getvalue(), "公文.ofd") == "ofd"
    assert sniff_type(b"whatever", "", "http://x/downfile.jsp?filename=3f2a.ofd") == "ofd"
    other = read_attachment(ole, "政策文件.wps")
    assert (other.file_type, other.text, other.error) == ("wps", None, None) and other.sha256


def test_html_detection_and_sizes():
    assert looks_like_html(b"\xef\xbb\xbf\r\n<!DOCTYPE html><html>")
    assert looks_like_html(b"  <html><body>")
    assert not looks_like_html(make_pdf(["x"]))
    assert [human_size(n) for n in (20_000_000, 50_000, 1_500_000, 999)] == ["20 MB", "50 KB", "1.5 MB", "999 bytes"]


def test_pending_documents_wait_for_every_attachment_and_share_urls():
    pending: PendingDocuments[str] = PendingDocuments()
    a1, a2 = Attachment(url="u/a.pdf", name="a"), Attachment(url="u/b.docx", name="b")
    to_request, ready = pending.add("doc1", [a1, a2])
    assert [a.url for a in to_request] == ["u/a.pdf", "u/b.docx"] and not ready
    shared = Attachment(url="u/a.pdf", name="a again")
    to_request, ready = pending.add("doc2", [shared])
    assert to_request == [] and not ready  # already in flight: not requested twice
    assert pending.resolve("u/a.pdf", Outcome(sha256="s1", size=3, file_type="pdf", text="t")) == ["doc2"]
    assert shared.sha256 == "s1" and pending.held == 1
    assert pending.resolve("u/b.docx", Outcome(error="HTTP 404")) == ["doc1"]
    assert (a1.sha256, a2.error, pending.held) == ("s1", "HTTP 404", 0)
    late = Attachment(url="u/a.pdf", name="a")
    assert pending.add("doc3", [late]) == ([], True) and late.text == "t"  # resolved earlier this cycle
    assert pending.add("doc4", []) == ([], True)
