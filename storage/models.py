"""SQLModel tables. Every timestamp is timezone-aware UTC.

Layout of a document's history:
- ``Document``: one monitored URL of one portal.
- ``Version``: one distinct state of its main text, listing its paragraphs' ids (packed as runs of consecutive ids).
  The texts are stored in ``ParagraphChunk`` rows of up to 1,024, compressed: a document's first version stores
  all its paragraphs, and a later version only the paragraphs its predecessor did not have, so a version that
  changes one paragraph costs one compressed paragraph plus a few bytes. On SQLite the versions a transaction
  stores share chunks, each version's new paragraphs compressed as one segment. Its title, final URL,
  encoding, headers and metadata are stored only when they differ from the previous version's (see ``INHERITED``):
  read versions through ``storage.repo``, which fills them in.
- ``Blob``: raw response bodies, content-addressed by SHA-256 and compressed; identical bodies are stored once.
- ``CommitmentCache``: the commitments extracted from a document's newest version (a cache, one row per document).
- ``Change``: the difference between two versions (or a new document), with its paragraph ops and target changes.
- ``Delivery`` (+ ``DeliveryChange``): the durable outbox, one row per subscription and Apprise URL.
"""
from __future__ import annotations

import itertools
import json
import re
import string
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, LargeBinary, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from . import varint

# Python None is SQL NULL (not the JSON text 'null'), so "no value" costs nothing and ``IS NULL`` means it
JSONType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

# zlib preset dictionaries for ``pack_json``: the keys and values that recur in paragraph ops, target changes and
# commitments. A stored value names its dictionary (zlib's FDICT header carries the dictionary's Adler-32), so
# these are a storage format: never edit one; add a new one (and make it PACK_DICT) instead.
_JSON_DICT_1 = (
    '"relation":null,"value":null,"unit":null,"qualifier":null,"baseline":null,"deadline":null,"deadline_text":null,'
    '"relation":"at_most","qualifier":"以下","relation":"at_least","qualifier":"以上","qualifier":"不低于",'
    '"unit":"万吨/年","unit":"%","unit":"个","unit":"亿元","unit":"万元","年底前","年底","年上半年","完成","达到",'
    '{"kind":"deadline","quote":"{"kind":"threshold","quote":"{"kind":"target","quote":"","metric":"'
    '[{"change":"deadline_changed","metric":"[{"change":"added","metric":"[{"change":"removed","metric":"'
    '[{"change":"value_changed","metric":"","new":null}]"old":null,'
    ',"deadline":"2020-12-31","deadline_text":"2020年年底前","paragraph":'
    '{"op":"insert","old_index":null,"new_index":{"op":"delete","old_index":,"new_index":null,"old":null,"new":'
    '"kind":"split""kind":"merge"[["insert","],["delete","],["equal","'
    '[{"op":"replace","old_index":,"new_index":,"old":"","new":"","spans":[["equal","'
).encode()
_DICTS = {zlib.adler32(d): d for d in (_JSON_DICT_1,)}
PACK_DICT = _JSON_DICT_1


def pack_json(rows: Any) -> bytes | None:
    """Compact JSON for derived or bulky columns, zlib-compressed with a preset dictionary (None stays None)."""
    if rows is None:
        return None
    if isinstance(rows, list) and not rows:  # most changes have no ops or no target changes
        return _PACKED_EMPTY
    return _pack(rows)


def _pack(rows: Any) -> bytes:
    c = zlib.compressobj(9, zdict=PACK_DICT)
    return c.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()) + c.flush()


_PACKED_EMPTY = _pack([])


def unpack_json(data: bytes | None) -> Any:
    """The value ``pack_json`` packed — also plain zlib data, as older versions wrote it."""
    if data is None:
        return None
    data = bytes(data)
    if len(data) > 6 and data[1] & 0x20:  # FDICT: the Adler-32 of the preset dictionary follows the header
        d = zlib.decompressobj(zdict=_DICTS[int.from_bytes(data[2:6], "big")])
        return json.loads(d.decompress(data) + d.flush())
    return json.loads(zlib.decompress(data))


_COMMITMENTS_V2 = 2  # the format byte of pack_commitments (pack_json's data starts with a zlib header, never 2)
_ZDICT_MAX = 32768  # zlib uses the last 32 KB of a preset dictionary


def _quoted(rows: Any, paragraphs: Sequence[str]) -> list[int]:
    """The indexes of the paragraphs commitment rows were found in, in order."""
    return sorted({r["paragraph"] for r in rows if isinstance(r, dict) and isinstance(r.get("paragraph"), int)
                   and 0 <= r["paragraph"] < len(paragraphs)})


def _commitments_dict(indexes: list[int], paragraphs: Sequence[str] | Mapping[int, str]) -> bytes:
    """The quoted paragraphs, then PACK_DICT; only what zlib uses of it (the last 32 KB)."""
    text = "\n".join(paragraphs[i] for i in indexes).encode("utf-8", "surrogatepass")
    return text[max(0, len(text) + len(PACK_DICT) - _ZDICT_MAX):] + PACK_DICT


def pack_commitments(rows: list[dict[str, Any]], paragraphs: Sequence[str]) -> bytes:
    """``pack_json`` for the commitment rows extracted from ``paragraphs``, under half of its size: a row's quote
    and metric are pieces of the paragraph it names, so those paragraphs (their indexes in a short header) are the
    compression's preset dictionary. Reading it back needs the same paragraphs (``unpack_commitments``)."""
    indexes = _quoted(rows, paragraphs)
    head = bytearray([_COMMITMENTS_V2])
    varint.write([len(indexes), *(b - a for a, b in zip([0, *indexes], indexes))], head)
    c = zlib.compressobj(9, zdict=_commitments_dict(indexes, paragraphs))
    return bytes(head) + c.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()) + c.flush()


def _commitments_header(data: bytes) -> tuple[list[int], int]:
    (count,), pos = varint.read(data, 1, 1)
    steps, pos = varint.read(data, count, pos)
    return list(itertools.accumulate(steps)), pos


def quoted_paragraphs(data: bytes) -> list[int]:
    """The indexes of the paragraphs ``unpack_commitments`` needs for this data (none for ``pack_json`` data)."""
    data = bytes(data)
    return _commitments_header(data)[0] if data[:1] == bytes([_COMMITMENTS_V2]) else []


def unpack_commitments(data: bytes, paragraphs: Sequence[str] | Mapping[int, str]) -> Any:
    """The rows ``pack_commitments`` packed with these ``paragraphs`` (or with index -> text for at least the
    ``quoted_paragraphs``); also ``pack_json`` data, as older versions wrote it."""
    data = bytes(data)
    if data[:1] != bytes([_COMMITMENTS_V2]):
        return unpack_json(data)
    indexes, pos = _commitments_header(data)
    d = zlib.decompressobj(zdict=_commitments_dict(indexes, paragraphs))
    return json.loads(d.decompress(data[pos:]) + d.flush())


def pack_ids(ids: list[int]) -> bytes:
    """Positive ids as runs of consecutive ids, each run two varints: its first id relative to where the previous
    run ended (zig-zag) and its length − 1. A version's paragraphs are mostly stored together, so their ids are
    mostly consecutive: 60 paragraphs take 2 bytes, one replaced paragraph adds about 6."""
    out = bytearray()
    expected = 0  # the id that would continue the previous run
    i = 0
    while i < len(ids):
        start = ids[i]
        j = i + 1
        while j < len(ids) and ids[j] == ids[j - 1] + 1:
            j += 1
        varint.write((varint.zigzag(start - expected), j - i - 1), out)
        expected = ids[j - 1] + 1
        i = j
    return bytes(out)


def unpack_ids(data: bytes | None) -> list[int]:
    """The ids ``pack_ids`` packed (an empty list for None or b"")."""
    ids: list[int] = []
    if not data:
        return ids
    numbers, _end = varint.read(bytes(data))
    expected = 0
    for zz, extra in zip(numbers[0::2], numbers[1::2]):
        start = expected + varint.unzigzag(zz)
        ids.extend(range(start, start + extra + 1))
        expected = start + extra + 1
    return ids


_HEX64 = re.compile("[0-9a-f]{64}")


class HexDigest(TypeDecorator):
    """A SHA-256 hex digest, stored as its 32 bytes (half the space, in the table and in every index on it) and
    read back as the same lowercase hex string. Any other string (an imported or hand-made hash) is stored as its
    UTF-8 bytes and read back unchanged: a 32-byte one gets a NUL byte in front, so 32 bytes always mean a digest.
    A 32-byte ``bytes`` value is taken as a digest as it is."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | bytes | None, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes):  # a digest as bytes (storage's own fast path)
            if len(value) != 32:
                raise ValueError(f"a binary digest has 32 bytes, not {len(value)}")
            return value
        if len(value) == 64 and _HEX64.fullmatch(value):
            return bytes.fromhex(value)
        if "\x00" in value:
            raise ValueError(f"a hash cannot contain NUL: {value!r}")
        data = value.encode("utf-8")
        return b"\x00" + data if len(data) == 32 else data

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        if value is None:
            return None
        value = bytes(value)
        if len(value) == 32:
            return value.hex()
        return value[1:].decode("utf-8") if value[:1] == b"\x00" else value.decode("utf-8")


def _digest_column(*, nullable: bool = False, foreign_key: str | None = None, **kw: Any) -> Any:
    args = (ForeignKey(foreign_key),) if foreign_key else ()
    return Field(default=None, sa_column=Column(HexDigest, *args, nullable=nullable, **kw))


def _packed_column() -> Any:
    return Field(default=None, sa_column=Column(LargeBinary, nullable=True))


def _json_column(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSONType, nullable=nullable))


class Portal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    created_at: datetime
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    failures_in_row: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    baseline_done: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    portal_id: int = Field(foreign_key="portal.id", index=True)
    url: str = Field(index=True, unique=True, max_length=2000)
    title: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    first_seen_at: datetime
    last_checked_at: datetime | None = None
    last_changed_at: datetime | None = None
    published_at: datetime | None = None  # from the page's metadata (发布日期) or URL date; drives the re-check schedule
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=200)
    last_length: int | None = None
    status: str = Field(default="active", max_length=20, sa_column_kwargs={"server_default": "active"})
    missing_checks: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    latest_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Blob(SQLModel, table=True):
    sha256: str = Field(sa_column=Column(HexDigest, primary_key=True))
    size: int
    codec: str = Field(default="zlib", max_length=40)  # "zlib", "skel-zlib:<cs>", "skel-delta:<cs>" (repo.put_raw)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # a skeleton stored as a delta against an earlier skeleton (of the same document, or of another document of
    # the same portal for a document's first version)
    base_sha256: str | None = _digest_column(nullable=True, foreign_key="blob.sha256")
    depth: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# Paragraph ids: paragraph ``i`` of chunk ``c`` has the id ``c << CHUNK_BITS | i``, so a chunk holds at most
# CHUNK_SIZE paragraphs (a longer text takes several chunks) and a version's ids are mostly consecutive runs.
CHUNK_BITS = 10
CHUNK_SIZE = 1 << CHUNK_BITS
# A preset dictionary for paragraph texts: words and phrases of Chinese policy documents (salutations, section
# heads, the names of offices and measures, targets' wording). It saves the first occurrence of each in a document;
# about a twentieth of a plan's compressed text. A storage format: never edit it; add a new one with a new format.
_TEXT_DICT_1 = "".join((
    "各省、自治区、直辖市人民政府，国务院各部委、各直属机构：各县（市、区）人民政府，市人民政府各部门，各有关单位：",
    "现将《实施方案》印发给你们，请结合实际，认真贯彻执行。为深入贯彻落实党中央、国务院决策部署，",
    "以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，坚持稳中求进工作总基调，",
    "完整、准确、全面贯彻新发展理念，加快构建新发展格局，推动高质量发展，制定本方案。",
    "一、总体要求（一）指导思想（二）基本原则（三）主要目标二、重点任务三、保障措施四、组织实施",
    "加强组织领导。强化责任落实。加大资金支持。加强督导考核。做好宣传引导。",
    "牵头单位：市发展改革委、市工业和信息化局、市生态环境局、市财政局、市自然资源和规划局、市住房城乡建设局、",
    "市交通运输局、市农业农村局、市商务局、市市场监管局、市科技局；责任单位：各县（市、区）人民政府；配合单位：",
    "到2025年，到2030年，到2035年，年底前完成，基本建成，全面完成，力争，确保，不低于，不超过，以上，以下，",
    "比2020年下降，比2015年下降，同比增长，累计，万吨标准煤，单位地区生产总值能耗，单位工业增加值能耗，二氧化碳排放，",
    "主要污染物排放总量，细颗粒物（PM2.5）浓度，空气质量优良天数比率，重污染天数，化学需氧量、氨氮、氮氧化物、",
    "挥发性有机物，森林覆盖率，可再生能源，非化石能源消费比重，煤炭消费总量，清洁取暖，新能源汽车，充电基础设施，",
    "绿色建筑，装配式建筑，城镇污水处理率，生活垃圾无害化处理率，工业固体废物综合利用率，规模以上工业企业，",
    "高新技术企业，战略性新兴产业，数字经济，产业集群，营商环境，“放管服”改革，政务服务，一网通办，乡村振兴，",
    "公共服务，基本医疗，养老服务，安全生产，应急管理，防范化解重大风险，统筹发展和安全，节能减排，污染防治攻坚战，",
    "生态环境保护，大气污染防治，水污染防治，土壤污染防治，落后产能，淘汰退出，产业结构调整，转型升级，技术改造，",
    "循环经济，清洁生产，绿色发展，碳达峰碳中和。各地、各部门要高度重视，切实加强，进一步加快推进，持续深化，",
    "全面推进，大力发展，积极推动，严格落实，建立健全，完善机制，体系建设，制度，政策措施，工作方案，实施方案，",
    "行动方案，推进开展，落实加强，提升促进，支持鼓励，引导规范，管理监督，检查考核，评估，按照要求，有关规定，",
    "依法依规，坚决，全市，全省，全国，重点行业，重点企业，项目建设，基础设施，示范，试点，标准，目标任务，",
    "责任分工，时间节点，工作进展，定期，每季度，每年，情况报送，市政府办公室。本方案自印发之日起施行。",
    "本通知自印发之日起施行，有效期至年月日。（此件公开发布）",
))
# pack_texts' format byte -> the encoding of its texts (see pack_texts); a storage format
_TEXT_FORMATS = {3: ("gb18030", "strict"), 1: ("utf-8", "surrogatepass")}
_TEXT_ZDICTS = {fmt: _TEXT_DICT_1.encode(encoding) for fmt, (encoding, _errors) in _TEXT_FORMATS.items()}
_SEPARATOR = b"\xff"  # a byte neither GB18030 nor UTF-8 ever uses


def pack_texts(texts: Sequence[str]) -> bytes:
    """Paragraph texts as one compressed value: a format byte, then zlib (with a preset dictionary of policy
    wording) of the texts, each after a 0xFF byte. The texts are encoded in GB18030, which covers all of Unicode,
    takes two bytes for a common Chinese character (UTF-8: three) and one for a digit or Latin letter (UTF-16: two):
    policy text compresses about an eighth smaller that way than as UTF-8, at the same speed. A text GB18030 cannot
    encode (a lone surrogate) makes the chunk UTF-8."""
    try:
        fmt, parts = 3, [t.encode("gb18030") for t in texts]
    except UnicodeEncodeError:
        fmt, parts = 1, [t.encode("utf-8", "surrogatepass") for t in texts]
    c = zlib.compressobj(6, zdict=_TEXT_ZDICTS[fmt])
    return bytes([fmt]) + c.compress(b"".join(_SEPARATOR + part for part in parts)) + c.flush()


# Chunks written since this format hold segments, one per ``put_paragraphs`` (say one version's new paragraphs):
# the format byte, then for each segment two varints, its number of texts and its length in bytes, and its texts
# packed on their own (``pack_texts``). On SQLite the new paragraphs a transaction stores fill one chunk while it
# has room (``storage.repo``), so a first crawl writes a row per dozen or so documents, not one each: SQLite leaves
# part of a page unused after each large row, and those ends came to a tenth of the table. Each segment is still
# compressed alone, so reading one document's text decompresses only its own segments. A segment of length 0 holds
# texts ``ops.gc`` removed: they read as "" and keep the later texts' indexes.
_SEGMENTED = 4


def segment(texts: Sequence[str]) -> bytes:
    """``texts`` as a segment to append to a chunk (``new_chunk`` starts one)."""
    payload = pack_texts(texts)
    head = bytearray()
    varint.write((len(texts), len(payload)), head)
    return bytes(head) + payload


def new_chunk(texts: Sequence[str]) -> bytes:
    """A chunk holding ``texts`` as its one segment; ``segment`` of more texts may be appended to it."""
    return bytes([_SEGMENTED]) + segment(texts)


def _segments(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(index of its first text, number of texts, packed texts) of each segment of a segmented chunk."""
    pos, first = 1, 0
    while pos < len(data):
        (count, length), pos = varint.read(data, 2, pos)
        yield first, count, data[pos : pos + length]
        pos += length
        first += count


def _streams(data: bytes) -> Iterator[tuple[int, int | None, bytes]]:
    """The compressed streams (``pack_texts``) of any chunk, each as (index of its first text, number of texts,
    stream): a segmented chunk's segments (an emptied one's stream is b""), or a chunk written before segments as
    one stream of unknown length."""
    data = bytes(data)
    if data[:1] == bytes([_SEGMENTED]):
        yield from _segments(data)
    else:
        yield 0, None, data


def hollowed(data: bytes, used: Collection[int]) -> tuple[bytes, list[str]] | None:
    """``data`` without the texts of the segments none of whose indexes is in ``used`` (those texts then read as
    "", the others keep their indexes), and the texts removed; None when it removes none (or the chunk is of a
    format written before segments)."""
    data = bytes(data)
    if data[:1] != bytes([_SEGMENTED]):
        return None
    out, removed = bytearray([_SEGMENTED]), []
    for first, count, payload in _segments(data):
        if payload and not any(i in used for i in range(first, first + count)):
            removed += _texts(payload)
            payload = b""
        varint.write((count, len(payload)), out)
        out += payload
    return (bytes(out), removed) if removed else None


def by_chunk(ids: Iterable[int]) -> dict[int, set[int]]:
    """chunk id -> the indexes in that chunk of the paragraphs ``ids``."""
    grouped: dict[int, set[int]] = {}
    for pid in ids:
        grouped.setdefault(pid >> CHUNK_BITS, set()).add(pid & (CHUNK_SIZE - 1))
    return grouped


def _unpacked(stream: bytes) -> tuple[int, bytes]:
    """A stream's format byte and its texts' bytes, decompressed (each text after a 0xFF byte)."""
    if not stream or stream[0] not in _TEXT_FORMATS:
        raise ValueError(f"unknown paragraph chunk format {stream[:1]!r}")
    d = zlib.decompressobj(zdict=_TEXT_ZDICTS[stream[0]])
    return stream[0], d.decompress(stream[1:]) + d.flush()


def _decoded(fmt: int, raw: bytes) -> list[str]:
    encoding, errors = _TEXT_FORMATS[fmt]
    if fmt == 3:  # decoded at once: each 0xFF (never part of GB18030) becomes U+DCFF, which no text here holds
        return raw.decode(encoding, "surrogateescape").split("\udcff")[1:]
    return [part.decode(encoding, errors) for part in raw.split(_SEPARATOR)[1:]]


def _texts(stream: bytes) -> list[str]:
    return _decoded(*_unpacked(stream))


def unpack_texts(data: bytes) -> list[str]:
    """The texts of a chunk (``new_chunk`` and its segments, or ``pack_texts``)."""
    return [text for _first, count, stream in _streams(data)
            for text in (_texts(stream) if stream else [""] * (count or 0))]


def unpack_texts_at(data: bytes, indexes: Collection[int]) -> dict[int, str]:
    """index -> text for ``indexes`` of a chunk's texts. Only the streams that hold them are decompressed, and of a
    stream only they are decoded when they are under half of it."""
    found: dict[int, str] = {}
    for first, count, stream in _streams(data):
        local = [i - first for i in indexes if first <= i and (count is None or i < first + count)]
        if not local:
            continue
        if not stream:
            found.update((first + j, "") for j in local)
            continue
        fmt, raw = _unpacked(stream)
        parts = raw.split(_SEPARATOR)[1:]
        if 2 * len(local) >= len(parts):
            texts = _decoded(fmt, raw)
            found.update((first + j, texts[j]) for j in local)
        else:
            encoding, errors = _TEXT_FORMATS[fmt]
            found.update((first + j, parts[j].decode(encoding, errors)) for j in local)
    return found


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def find_in_texts(data: bytes, q: str) -> list[tuple[int, str]]:
    """(index, text) for each text of a chunk that contains ``q``, Latin letters A–Z matching in either case."""
    return [(first + j, text) for first, _count, stream in _streams(data) if stream
            for j, text in _find_in_stream(stream, q)]


def _find_in_stream(stream: bytes, q: str) -> list[tuple[int, str]]:
    """``find_in_texts`` in one stream. The decompressed bytes are searched, and only the texts that hold the
    query's bytes are decoded (decoding GB18030 costs more than decompressing). Lowering A–Z bytes alike on both
    sides keeps every real match, even where a GB18030 character's second byte falls in that range."""
    fmt, raw = _unpacked(stream)
    encoding, errors = _TEXT_FORMATS[fmt]
    cased = any(ch in string.ascii_letters for ch in q)
    try:
        needle = q.encode(encoding, errors)
    except UnicodeEncodeError:  # a text GB18030 cannot encode is in a UTF-8 stream, never in this one
        return []
    hay, needle = (raw.lower(), needle.lower()) if cased else (raw, needle)
    if needle not in hay:
        return []
    parts = raw.split(_SEPARATOR)[1:]  # 0xFF is no letter: lowering keeps the separators where they are
    folded = q.translate(_ASCII_LOWER)
    found = []
    for i, part in enumerate(hay.split(_SEPARATOR)[1:]):
        if needle in part:  # a candidate: the bytes may straddle two characters, so check the text itself
            text = parts[i].decode(encoding, errors)
            if (folded in text.translate(_ASCII_LOWER)) if cased else (q in text):
                found.append((i, text))
    return found


class ParagraphChunk(SQLModel, table=True):
    """Paragraph texts stored together (``new_chunk``): paragraph ``i`` has the id ``id << CHUNK_BITS | i``. Read
    and write them through ``storage.repo`` (``put_paragraphs``, ``paragraphs_of``). Chunk ids are never reused
    (AUTOINCREMENT on SQLite), so an id names one text for as long as the database lives."""

    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# Version columns stored only when they differ from the previous version's: NULL means "as the version before".
# An explicit "none" is stored as "" (strings) or {} (dicts). storage.repo fills them in on every version it returns.
INHERITED = ("title", "final_url", "encoding", "headers", "meta")


class Version(SQLModel, table=True):
    """One distinct state of a document. Get versions through ``storage.repo`` (``latest_version``, ``versions_of``,
    ``get_version``, ``resolve_versions``): a row alone holds NULL for the ``INHERITED`` columns that did not change."""

    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id")  # indexed by the unique (document_id, seq)
    seq: int
    fetched_at: datetime
    title: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    exact_hash: str = _digest_column()
    semantic_hash: str = _digest_column()
    # the paragraph ids in order, packed by ``pack_ids``; read and write them through ``paragraph_ids``
    paragraph_runs: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    raw_sha256: str | None = _digest_column(nullable=True, foreign_key="blob.sha256")
    final_url: str | None = Field(default=None, max_length=2000)
    encoding: str | None = Field(default=None, max_length=40)
    headers: dict[str, str] | None = _json_column(nullable=True)  # only those in repo.KEPT_HEADERS
    meta: dict[str, str] | None = _json_column(nullable=True)
    attachments: list[dict[str, Any]] | None = _json_column(nullable=True)

    @property
    def paragraph_ids(self) -> list[int]:
        return unpack_ids(self.paragraph_runs)

    @paragraph_ids.setter
    def paragraph_ids(self, ids: list[int]) -> None:
        self.paragraph_runs = pack_ids(list(ids))


class CommitmentCache(SQLModel, table=True):
    """The commitments extracted from version ``seq`` of a document, kept for its newest version only (they are
    derived from the paragraphs, so re-extractable): one row per document, rewritten in place when a new version
    brings its own. Read and write it through ``storage.repo.version_commitments`` / ``store_commitments``."""

    document_id: int = Field(foreign_key="document.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # pack_json of the commitment rows


class Change(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    portal_id: int = Field(foreign_key="portal.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    kind: str = Field(max_length=20, index=True)
    from_seq: int | None = None
    to_seq: int | None = None
    detected_at: datetime = Field(index=True)
    baseline: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # paragraph ops (with old and new text and inline spans) and target changes: bulky, written once, read whole,
    # so stored as compressed JSON; read and write them through the ``ops`` and ``targets`` properties
    ops_z: bytes | None = _packed_column()
    targets_z: bytes | None = _packed_column()
    events: list[str] | None = _json_column(nullable=True)

    @property
    def ops(self) -> list[dict[str, Any]] | None:
        return unpack_json(self.ops_z)

    @ops.setter
    def ops(self, rows: list[dict[str, Any]] | None) -> None:
        self.ops_z = pack_json(rows)

    @property
    def targets(self) -> list[dict[str, Any]] | None:
        return unpack_json(self.targets_z)

    @targets.setter
    def targets(self, rows: list[dict[str, Any]] | None) -> None:
        self.targets_z = pack_json(rows)


class Delivery(SQLModel, table=True):
    """One message to one Apprise URL of one subscription. Rows are the outbox: written in the same transaction
    as the change they carry, worked by the sender, never sent again once ``status == 'sent'``."""

    __table_args__ = (UniqueConstraint("dedup_key", "subscription", "url"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(max_length=200, index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    dedup_key: str = Field(max_length=200)  # "change:<id>", "digest:<run>", ... — one delivery per key, subscription, URL
    status: str = Field(default="pending", max_length=20, index=True)  # collecting | pending | sending | sent | failed
    attempts: int = Field(default=0)
    created_at: datetime
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    note: dict[str, Any] | None = _json_column(nullable=True)  # for messages not tied to a change (error, baseline)


class DeliveryChange(SQLModel, table=True):
    delivery_id: int = Field(foreign_key="delivery.id", primary_key=True)
    change_id: int = Field(foreign_key="change.id", primary_key=True, index=True)


class FetchError(SQLModel, table=True):
    """A failed capture: never a version. Kept for portal health and the status page."""

    id: int | None = Field(default=None, primary_key=True)
    portal_id: int = Field(foreign_key="portal.id", index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    stage: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    status: int | None = None
    reason: str = Field(sa_column=Column(Text, nullable=False))
    fetched_at: datetime


class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    finished_at: datetime | None = None
    ok: bool | None = None
    stats: dict[str, Any] | None = _json_column(nullable=True)
