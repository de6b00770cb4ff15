"""Keyword-only persistence functions. Each takes the session; callers own the transaction (commit/rollback),
so a document's version, change and deliveries are written together or not at all."""
from __future__ import annotations

import bisect
import codecs
import functools
import hashlib
import itertools
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, event, insert, inspect, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import instrumentation
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from . import varint
from .models import (
    CHUNK_BITS,
    CHUNK_SIZE,
    INHERITED,
    Blob,
    Change,
    CommitmentCache,
    Delivery,
    DeliveryChange,
    Document,
    FetchError,
    ParagraphChunk,
    Portal,
    Version,
    by_chunk,
    new_chunk,
    pack_commitments,
    pack_ids,
    pack_json,
    quoted_paragraphs,
    segment,
    unpack_commitments,
    unpack_texts_at,
)


# --- Core statements -------------------------------------------------------------------------------------------
# Storing a document (thousands per crawl) reads and writes its rows with Core statements built once, not through
# ORM objects and flushes: the same rows for a fraction of the Python work. The models these functions return are
# built from the row values (``_as_loaded``) and belong to no session.
_DOCUMENTS, _VERSIONS, _BLOBS, _CHUNKS, _CHANGES, _COMMITMENT_CACHE = (
    model.__table__  # type: ignore[attr-defined]
    for model in (Document, Version, Blob, ParagraphChunk, Change, CommitmentCache)
)
_Model = TypeVar("_Model")
_KEYS = [f"k{i}" for i in range(512)]  # the bound parameters of ``_among`` queries, in order


def _among(query: Any, column: Any) -> Callable[[int], Any]:
    """``size`` -> ``query`` WHERE ``column`` IN (``size`` values bound as the first ``_KEYS``), each size built
    once and so compiled once (an expanding IN is rendered again on every execution, which costs more than a small
    query)."""

    @functools.cache
    def sized(size: int) -> Any:
        return query.where(column.in_([bindparam(key, type_=column.type) for key in _KEYS[:size]]))

    return sized


def _connection(session: Session) -> Connection:
    """The session's connection (and transaction) for Core statements. Pending ORM changes are flushed first, so
    the statements see them as ORM queries would (a no-op when there are none)."""
    session.flush()
    return session.connection()


def _as_loaded(model: type[_Model], values: dict[str, Any]) -> _Model:
    """An instance of ``model`` holding ``values`` as if loaded from its row (nothing marked changed), built as
    the ORM builds loaded rows; it belongs to no session."""
    instance = instrumentation.manager_of_class(model).new_instance()
    instance.__dict__.update(values)
    return instance


# --- portals and documents -------------------------------------------------------------------------------------
def get_or_create_portal(*, session: Session, name: str, now: datetime) -> Portal:
    portal = session.exec(select(Portal).where(Portal.name == name)).first()
    if portal is None:
        portal = Portal(name=name, created_at=now)
        session.add(portal)
        session.flush()
    return portal


def get_portal(*, session: Session, name: str) -> Portal | None:
    return session.exec(select(Portal).where(Portal.name == name)).first()


def list_portals(*, session: Session) -> list[Portal]:
    return list(session.exec(select(Portal).order_by(Portal.name)))


def portal_documents(*, session: Session, portal_id: int) -> list[Document]:
    return list(session.exec(select(Document).where(Document.portal_id == portal_id).order_by(Document.id)))


def get_document(*, session: Session, url: str) -> Document | None:
    return session.exec(select(Document).where(Document.url == url)).first()


def create_document(*, session: Session, portal_id: int, url: str, title: str, now: datetime) -> Document:
    """A document with no versions yet (the row ``save_document`` writes), as a model in the session."""
    ref = save_document(session=session, portal_id=portal_id, url=url, now=now, values={"title": title})
    return session.get_one(Document, ref.id)


@dataclass
class DocumentRef:
    """What storing a document's next version needs of its row, as ``update_document`` and ``save_document`` left
    it; ``add_version`` keeps ``latest_seq`` and ``last_changed_at`` up to date."""

    id: int
    portal_id: int
    latest_seq: int
    last_changed_at: datetime | None


_UPDATE_DOCUMENT_AT = update(_DOCUMENTS).where(_DOCUMENTS.c.url == bindparam("document_url")).returning(
    _DOCUMENTS.c.id, _DOCUMENTS.c.portal_id, _DOCUMENTS.c.latest_seq, _DOCUMENTS.c.last_changed_at
)  # SET: the parameters other than document_url
_INSERT_DOCUMENT = insert(_DOCUMENTS)


def update_document(*, session: Session, url: str, values: dict[str, Any]) -> DocumentRef | None:
    """Write ``values`` (columns of its row, at least one) to the known document at ``url``; None if there is none.
    One statement, no ORM object."""
    row = _connection(session).execute(_UPDATE_DOCUMENT_AT, {"document_url": url, **values}).first()
    return DocumentRef(row.id, row.portal_id, row.latest_seq, row.last_changed_at) if row is not None else None


def _insert(dialect: str, table: Any) -> Any:
    """The dialect's INSERT for ``table``, which can say what to do ON CONFLICT (SQLite and PostgreSQL)."""
    return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)


@functools.lru_cache(maxsize=None)
def _insert_new_document(dialect: str) -> Any:
    """INSERT a document row unless its URL is there already, RETURNING its id (no row when it was there)."""
    return _insert(dialect, _DOCUMENTS).on_conflict_do_nothing(index_elements=[_DOCUMENTS.c.url]).returning(
        _DOCUMENTS.c.id)


def save_document(*, session: Session, portal_id: int, url: str, now: datetime, values: dict[str, Any],
                  likely_new: bool = False) -> DocumentRef:
    """``update_document``, or for an unknown URL: create the document in ``portal_id``, first seen ``now``, with
    ``values`` and no versions (a known document stays in its portal). ``likely_new`` (say, in a portal's first
    crawl) tries the insert first: one statement instead of two for a new document, two for a known one."""
    conn = _connection(session)
    created = {"portal_id": portal_id, "url": url, "first_seen_at": now, "latest_seq": 0, **values}
    if likely_new:
        row = conn.execute(_insert_new_document(conn.dialect.name), created).first()
        if row is not None:
            return DocumentRef(row[0], portal_id, 0, None)
    known = update_document(session=session, url=url, values=values)
    if known is not None:
        return known
    document_id = conn.execute(_INSERT_DOCUMENT, created).inserted_primary_key[0]
    return DocumentRef(document_id, portal_id, 0, None)


# --- content-addressed blobs and paragraphs --------------------------------------------------------------------
def put_blob(*, session: Session, data: bytes) -> str:
    """Store raw bytes once (zlib-compressed), return their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    if not _blobs(session, [digest]):
        _insert_blob(session, {"sha256": digest, "size": len(data), "codec": "zlib", "data": zlib.compress(data, 6)})
    return digest


_BLOB_ROWS = _among(select(_BLOBS), _BLOBS.c.sha256)
_INSERT_BLOB = insert(_BLOBS)


def _blobs(session: Session, digests: list[str]) -> dict[str, Blob]:
    """sha256 -> the stored blob, for those of ``digests`` (a few) that are stored."""
    rows = _connection(session).execute(_BLOB_ROWS(len(digests)), dict(zip(_KEYS, digests))).mappings().all()
    return {row["sha256"]: _as_loaded(Blob, dict(row)) for row in rows}


def _insert_blob(session: Session, values: dict[str, Any]) -> Blob:
    """Insert a blob row from ``values`` (the ``Blob`` columns; base and depth default to a keyframe's)."""
    values = {"base_sha256": None, "depth": 0, **values}
    _connection(session).execute(_INSERT_BLOB, values)
    return _as_loaded(Blob, values)


SKEL_PREFIX = "skel-zlib:"  # a skeleton, zlib-compressed on its own (a keyframe)
DELTA_PREFIX = "skel-delta:"  # a skeleton stored as a delta against its base blob's skeleton
_MARK = "\x00"


def _skeleton(text: str, paragraphs: Sequence[tuple[int, str]]) -> str:
    """The page text (without NUL) with each paragraph's first occurrence (in order) replaced by NUL<id>NUL."""
    pieces: list[str] = []
    cursor = 0
    for pid, para in paragraphs:
        if len(para) < 8:  # short texts (headings, 一、) are cheaper left in place
            continue
        at = text.find(para, cursor)
        if at < 0:
            continue
        pieces += [text[cursor:at], f"{_MARK}{pid}{_MARK}"]
        cursor = at + len(para)
    pieces.append(text[cursor:])
    return "".join(pieces)


def _unskeleton(session: Session, skeleton: str) -> str:
    parts = skeleton.split(_MARK)
    ids = [int(p) for p in parts[1::2]]
    texts = paragraph_texts(session=session, ids=ids)
    parts[1::2] = [texts[i] for i in ids]
    return "".join(parts)


# --- skeleton deltas -------------------------------------------------------------------------------------------
# A delta is: varint n, then n copy ops (varint literal length, zig-zag varint copy offset relative to where the
# previous copy ended, varint copy length), then the literal bytes; the new skeleton is, for each op, its literal
# then base[offset:offset + length], then the remaining literal bytes. It is stored zlib-compressed with the base
# skeleton as preset dictionary, so literals that resemble the base cost little too.
MAX_DELTA_DEPTH = 2  # a document's first body: a delta against a keyframe; its revisions: against that first body
REKEY_RATIO = 4  # a delta bigger than its keyframe's stored size / 4 is stored as a new keyframe instead
_MIN_COPY = 12  # shorter matches are cheaper as literal bytes


def _tokens(data: bytes) -> tuple[list[bytes], bytes]:
    """HTML cut after each ">": the tokens (each stands for itself plus the ">" that ended it) and the rest."""
    tokens = data.split(b">")
    return tokens, tokens.pop()


@functools.lru_cache(maxsize=8)
def _indexed(base: bytes) -> tuple[list[bytes], list[int], dict[bytes, list[int]]]:
    """A base's tokens, their offsets and where each token occurs. Cached: consecutive revisions of a document,
    and the new documents of a portal, are stored against the same few bases."""
    tokens, _rest = _tokens(base)
    offsets = [0, *itertools.accumulate(len(t) + 1 for t in tokens)]
    positions: dict[bytes, list[int]] = {}
    for i, token in enumerate(tokens):
        positions.setdefault(token, []).append(i)
    return tokens, offsets, positions


@functools.lru_cache(maxsize=8)
def _compressor(base: bytes) -> Any:
    """A zlib compressor primed with ``base`` as preset dictionary, to be ``copy()``-ed: priming costs more than
    compressing a delta."""
    return zlib.compressobj(6, zdict=base[-32768:])


def make_delta(base: bytes, new: bytes) -> bytes:
    """A delta that rebuilds ``new`` from ``base`` (see ``apply_delta``). Linear: the new text is cut into tokens
    and each run of tokens found in the base (nearest after the previous match first) becomes one copy."""
    base_tokens, offsets, positions = _indexed(base)
    new_tokens, rest = _tokens(new)
    nb, nn = len(base_tokens), len(new_tokens)
    head = bytearray()  # the ops
    literals: list[bytes] = []  # literal bytes, in order
    literal = bytearray()
    count = cursor = j = expected = 0
    while j < nn:
        token = new_tokens[j]
        if cursor < nb and base_tokens[cursor] == token:
            start = cursor
        else:
            found = positions.get(token)
            if not found:
                literal += token
                literal += b">"
                j += 1
                continue
            k = bisect.bisect_left(found, cursor)
            start = found[k] if k < len(found) else found[0]
        i = start
        # C-speed strides of 32 tokens (their last tokens compared first: most runs end well before 32)
        while (i + 32 <= nb and j + 32 <= nn and base_tokens[i + 31] == new_tokens[j + 31]
               and base_tokens[i : i + 32] == new_tokens[j : j + 32]):
            i += 32
            j += 32
        while j < nn and i < nb and base_tokens[i] == new_tokens[j]:
            i += 1
            j += 1
        offset = offsets[start]
        length = offsets[i] - offset
        if length < _MIN_COPY:
            literal += base[offset : offset + length]
        else:
            varint.write((len(literal), varint.zigzag(offset - expected), length), head)
            literals.append(bytes(literal))
            literal = bytearray()
            expected = offset + length
            count += 1
        cursor = i
    out = bytearray()
    varint.write((count,), out)
    return bytes(out + head) + b"".join(literals) + bytes(literal) + rest


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """The text ``make_delta(base, new)`` was made from: ``new``."""
    (count,), pos = varint.read(delta, 1)
    numbers, pos = varint.read(delta, 3 * count, pos)  # three numbers per op
    out = bytearray()
    expected = 0
    for k in range(0, len(numbers), 3):
        lit, zz, length = numbers[k], numbers[k + 1], numbers[k + 2]
        offset = expected + varint.unzigzag(zz)
        out += delta[pos : pos + lit]
        pos += lit
        out += base[offset : offset + length]
        expected = offset + length
    out += delta[pos:]
    return bytes(out)


def _chain(session: Session, blob: Blob) -> list[Blob]:
    """The blob and its bases, down to its keyframe (at most MAX_DELTA_DEPTH + 1 rows)."""
    chain = [blob]
    while chain[-1].base_sha256 is not None:
        base = _blobs(session, [chain[-1].base_sha256]).get(chain[-1].base_sha256)
        assert base is not None, f"blob {chain[-1].sha256} lost its base {chain[-1].base_sha256}"
        chain.append(base)
    return chain


def _rebuild(chain: list[Blob]) -> bytes:
    """The uncompressed skeleton of ``chain[0]`` (see ``_chain``)."""
    return _rebuilt(tuple(bytes(blob.data) for blob in chain))


@functools.lru_cache(maxsize=8)
def _rebuilt(stored: tuple[bytes, ...]) -> bytes:
    """The skeleton a chain's stored data (the blob's first, its keyframe's last) rebuilds. Cached by that data
    itself, so a cached skeleton is always the one the rows hold: a portal's new documents and a document's
    revisions are stored against the same few bases, whose skeletons are then not rebuilt for each."""
    skeleton = zlib.decompress(stored[-1])
    for data in reversed(stored[:-1]):
        d = zlib.decompressobj(zdict=skeleton[-32768:])
        skeleton = apply_delta(skeleton, d.decompress(data) + d.flush())
    return skeleton


def _skeleton_bytes(session: Session, blob: Blob) -> bytes:
    """The uncompressed skeleton of a skeleton blob, rebuilt through its (at most MAX_DELTA_DEPTH) bases."""
    return _rebuild(_chain(session, blob))


def _is_skeleton(blob: Blob | None) -> bool:
    return blob is not None and blob.codec.startswith((SKEL_PREFIX, DELTA_PREFIX))


def skeleton_paragraph_ids(*, session: Session, blob: Blob) -> set[int]:
    """The paragraph ids a skeleton blob refers to (empty for a plain blob); gc keeps those paragraphs."""
    if not _is_skeleton(blob):
        return set()
    return {int(p) for p in _skeleton_bytes(session, blob).decode("utf-8").split(_MARK)[1::2]}


def _delta_base(session: Session, blob: Blob | None, revision: bool) -> list[Blob] | None:
    """The chain (see ``_chain``) of the blob to store a new skeleton against, given ``blob``: for a revision, the
    previous version's body (or, when that is already at MAX_DELTA_DEPTH, its own base); else the keyframe of
    another document's body. None if there is no skeleton to compare with."""
    if not _is_skeleton(blob):
        return None
    chain = _chain(session, blob)  # type: ignore[arg-type]
    if not revision:
        return chain[-1:]
    return chain[1:] if chain[0].depth >= MAX_DELTA_DEPTH else chain


def put_raw(
    *, session: Session, data: bytes, encoding: str | None, paragraphs: Sequence[tuple[int, str]],
    base: str | None = None, template: str | None = None,
) -> str:
    """Store a raw response body once, content-addressed by the SHA-256 of its bytes.

    The main text is already stored paragraph by paragraph, so the body is kept as a "skeleton": the decoded page
    with each stored paragraph replaced by a reference — used only when the page decodes in its charset to text that
    encodes back to the exact bytes (checked here); otherwise the body is stored whole, zlib-compressed. A skeleton is stored as a delta when there
    is one to compare with: ``base`` (the previous version's body) or else ``template`` (a body of another
    document of the same portal, whose page template it most likely shares), so a revision's or a new document's
    page template costs tens to hundreds of bytes; every delta is checked to rebuild the exact skeleton.
    Reading a body decompresses at most MAX_DELTA_DEPTH + 1 blobs.
    """
    return _put_raw(session, data, encoding, paragraphs, base, template).sha256


def _put_raw(
    session: Session, data: bytes, encoding: str | None, paragraphs: Sequence[tuple[int, str]], base: str | None,
    template: str | None,
) -> Blob:
    digest = hashlib.sha256(data).hexdigest()
    other = base if base is not None else template
    found = _blobs(session, [digest, other] if other else [digest])  # one query for the body and its base
    if digest in found:
        return found[digest]
    skeleton: str | None = None
    if encoding:
        try:
            text = data.decode(encoding)
            # strict UTF-8 decoding is one-to-one; other charsets must give back the same bytes when encoded
            utf8 = codecs.lookup(encoding).name == "utf-8"
            exact = utf8 or text.encode(encoding) == data
            # a NUL in the page would read as a reference (in UTF-8 only NUL has a 0 byte: the bytes are faster to
            # search than the text)
            usable = exact and (b"\x00" not in data if utf8 else _MARK not in text)
            # _skeleton replaces only exact occurrences of the paragraphs, so putting them back gives the text
            skeleton = _skeleton(text, paragraphs) if usable else None
            if skeleton == text:  # no paragraph found in the page: nothing to gain
                skeleton = None
        except (LookupError, UnicodeError):
            skeleton = None
    blob: dict[str, Any] = {"sha256": digest, "size": len(data)}
    if skeleton is None:
        return _insert_blob(session, blob | {"codec": "zlib", "data": zlib.compress(data, 6)})
    payload = skeleton.encode("utf-8")
    chain = _delta_base(session, found.get(other) if other else None, revision=base is not None)
    if chain is not None:
        base_skeleton = _rebuild(chain)
        delta = make_delta(base_skeleton, payload)
        c = _compressor(base_skeleton).copy()
        packed = c.compress(delta) + c.flush()
        if apply_delta(base_skeleton, delta) == payload and len(packed) * REKEY_RATIO <= len(chain[-1].data):
            return _insert_blob(session, blob | {"codec": f"{DELTA_PREFIX}{encoding}", "data": packed,
                                                 "base_sha256": chain[0].sha256, "depth": chain[0].depth + 1})
    return _insert_blob(session, blob | {"codec": f"{SKEL_PREFIX}{encoding}", "data": zlib.compress(payload, 6)})


def read_blob(*, session: Session, sha256: str) -> bytes | None:
    blob = session.get(Blob, sha256)
    if blob is None:
        return None
    if blob.codec == "zlib":
        return zlib.decompress(blob.data)
    if _is_skeleton(blob):
        encoding = blob.codec.split(":", 1)[1]
        return _unskeleton(session, _skeleton_bytes(session, blob).decode("utf-8")).encode(encoding)
    return bytes(blob.data)


_CHUNK_ROWS = _among(select(_CHUNKS.c.id, _CHUNKS.c.data), _CHUNKS.c.id)
_INSERT_CHUNK = insert(_CHUNKS)
_APPEND_TO_CHUNK = update(_CHUNKS).where(_CHUNKS.c.id == bindparam("chunk_id")).values(data=bindparam("chunk_data"))
# A chunk takes more segments while it holds fewer than CHUNK_SIZE texts and fewer than this many bytes. Each
# append rewrites the row, so the bound keeps that cheap; reading a text decompresses only its own segment.
# Only on SQLite: there a large row leaves the rest of its last page unused, and a rewritten row's old pages are
# reused within the transaction. PostgreSQL keeps every rewritten value as a dead copy until it is vacuumed (a
# first crawl would leave several times its text behind), and stores large values in small pieces anyway.
CHUNK_BYTES = 128 * 1024
_OPEN_CHUNK = "storage.open_chunk"  # the session.info key of the chunk the session's transaction appends to


@dataclass
class _OpenChunk:
    transaction: Any  # the session's transaction that inserted the chunk: no other one may append to it
    id: int
    count: int  # texts in it
    data: bytes  # as stored


def _append(conn: Connection, chunk: _OpenChunk, texts: list[str]) -> bool:
    """Append ``texts`` to ``chunk`` as a segment; False when the row is gone (rolled back)."""
    data = chunk.data + segment(texts)
    if conn.execute(_APPEND_TO_CHUNK, {"chunk_id": chunk.id, "chunk_data": data}).rowcount != 1:
        return False
    chunk.count, chunk.data = chunk.count + len(texts), data
    return True


def _rows_among(conn: Connection, sized: Callable[[int], Any], values: Sequence[Any]) -> Iterable[Any]:
    """The rows of an ``_among`` query for all ``values``, asked in as few statements as possible: up to 512 values
    each, padded to a power of two by repeating the last (so few sizes are ever compiled)."""
    for i in range(0, len(values), len(_KEYS)):
        part = list(values[i : i + len(_KEYS)])
        size = 1 << (len(part) - 1).bit_length()
        yield from conn.execute(sized(size), dict(zip(_KEYS, part + part[-1:] * (size - len(part))))).all()


def put_paragraphs(*, session: Session, texts: Sequence[str], known: Mapping[str, int] | None = None) -> list[int]:
    """Store paragraph texts; return their ids in the given order. A text in ``known`` (text -> the id of a stored
    paragraph, say the previous version's) keeps that id; the others are stored once each, together in new
    chunks (one for up to CHUNK_SIZE texts). There is no global index of texts: a paragraph is shared with the
    version it came from, not looked up among all stored ones, which keeps storing a page's text to one write.
    On SQLite, within one transaction the new texts fill the chunk it last wrote (as a new segment) while it has
    room, so the versions a batch stores share rows; a transaction never appends to a chunk another one wrote."""
    known = known or {}
    ids: dict[str, int] = {}
    new = [t for t in dict.fromkeys(texts) if t not in known]
    if not new:
        return [known[t] for t in texts]
    conn = _connection(session)
    shared = conn.dialect.name == "sqlite"  # see CHUNK_BYTES
    transaction = session.get_transaction()
    chunk = session.info.get(_OPEN_CHUNK) if shared else None
    done = 0
    if (chunk is not None and chunk.transaction is transaction and chunk.count < CHUNK_SIZE
            and len(chunk.data) < CHUNK_BYTES):
        part = new[: CHUNK_SIZE - chunk.count]
        first = chunk.count
        if _append(conn, chunk, part):
            ids.update((text, chunk.id << CHUNK_BITS | first + j) for j, text in enumerate(part))
            done = len(part)
    for i in range(done, len(new), CHUNK_SIZE):
        part = new[i : i + CHUNK_SIZE]
        data = new_chunk(part)
        chunk_id = conn.execute(_INSERT_CHUNK, {"data": data}).inserted_primary_key[0]
        ids.update((text, chunk_id << CHUNK_BITS | j) for j, text in enumerate(part))
        if shared:
            session.info[_OPEN_CHUNK] = _OpenChunk(transaction, chunk_id, len(part), data)
    return [known[t] if t in known else ids[t] for t in texts]


def paragraph_texts(*, session: Session, ids: Iterable[int]) -> dict[int, str]:
    """id -> text for the paragraphs ``ids``."""
    wanted = by_chunk(ids)
    texts: dict[int, str] = {}
    for chunk_id, data in _rows_among(_connection(session), _CHUNK_ROWS, sorted(wanted)):
        base = chunk_id << CHUNK_BITS
        texts.update((base | j, text) for j, text in unpack_texts_at(data, wanted[chunk_id]).items())
    return texts


def known_paragraphs(*, session: Session, ids: Sequence[int], texts: Sequence[str] | None = None) -> dict[str, int]:
    """text -> id for the stored paragraphs ``ids``, as ``put_paragraphs`` takes them (``known``); ``texts``: their
    texts in the same order, when the caller has read them already."""
    if texts is None:
        stored = paragraph_texts(session=session, ids=ids)
        texts = [stored[pid] for pid in ids]
    return dict(zip(texts, ids))


def read_commitments(*, session: Session, stored: Sequence[tuple[bytes, Sequence[int]]]) -> list[Any]:
    """The rows of commitment cache data, each given with its version's paragraph ids: reads only the paragraphs
    they quote (``pack_commitments``), all of them in one go."""
    quoted = [quoted_paragraphs(data) for data, _ids in stored]
    texts = paragraph_texts(session=session, ids=[ids[i] for (_data, ids), at in zip(stored, quoted) for i in at])
    return [unpack_commitments(data, {i: texts[ids[i]] for i in at}) for (data, ids), at in zip(stored, quoted)]


def paragraphs_of(*, session: Session, version: Version) -> list[str]:
    ids = list(version.paragraph_ids or [])
    if not ids:
        return []
    texts = paragraph_texts(session=session, ids=ids)
    return [texts[i] for i in ids]


# --- versions and changes --------------------------------------------------------------------------------------
KEPT_HEADERS = ("etag", "last-modified", "content-type")  # the response headers a version keeps
_DEFAULTS: dict[str, Any] = {"title": "", "final_url": None, "encoding": None, "headers": None, "meta": None}
_INHERITED_COLUMNS = [getattr(Version, name) for name in INHERITED]


def _shown(name: str, value: Any) -> Any:
    """A stored explicit "none" ("" or {}) as readers see it."""
    if value == "" and name != "title" or value == {}:
        return None
    return value


def _stored(name: str, value: Any, previous: Any) -> Any:
    """What to store for an INHERITED column: NULL when the value is the previous version's, else the value
    (None as its explicit "none")."""
    if value == previous:
        return None
    if value is None:
        return {} if name in ("headers", "meta") else ""
    return value


_RESOLVED = "storage.resolved"  # set in a version's InstanceState.info once its INHERITED columns are filled in


@event.listens_for(Version, "expire")
def _forget_resolved(target: Version, _attrs: Any) -> None:
    inspect(target).info.pop(_RESOLVED, None)  # reloaded columns are stored values again


@event.listens_for(Version, "refresh")
def _forget_resolved_on_refresh(target: Version, _context: Any, _attrs: Any) -> None:
    inspect(target).info.pop(_RESOLVED, None)


def _set(version: Version, values: dict[str, Any]) -> None:
    for name, value in values.items():
        set_committed_value(version, name, value)
    inspect(version).info[_RESOLVED] = True


def _fill(wanted: list[Version], rows: Sequence[Any]) -> None:
    """Set the INHERITED columns of ``wanted`` (one document's versions) from its stored rows (seq, *INHERITED),
    oldest first, which reach back far enough to hold a stored value of each column (or start at seq 1)."""
    values = dict(_DEFAULTS)
    at_seq: dict[int, dict[str, Any]] = {}
    for row in rows:
        for name, value in zip(INHERITED, row[1:]):
            if value is not None:
                values[name] = _shown(name, value)
        at_seq[row[0]] = dict(values)
    for v in wanted:
        _set(v, at_seq.get(v.seq, values))


_INHERITED_BACK_FROM = (  # (seq, *INHERITED) of a document's versions from ``seq`` back, newest first
    select(_VERSIONS.c.seq, *(_VERSIONS.c[name] for name in INHERITED))
    .where(_VERSIONS.c.document_id == bindparam("document_id"), _VERSIONS.c.seq <= bindparam("seq"))
    .order_by(_VERSIONS.c.seq.desc())
)


def resolve_versions(*, session: Session, versions: Sequence[Version], complete: bool = False) -> list[Version]:
    """Fill in the INHERITED columns of these versions (rows store NULL for "as the version before"), without
    marking anything changed. Idempotent (a version is filled in once, until it is expired or refreshed); every
    repo function returning versions calls it. ``complete``: ``versions`` are all of one document's versions,
    oldest first, so no query is needed. Otherwise one query per call for many documents, and for one document
    one that reads back only as far as needed."""
    if complete:
        values = dict(_DEFAULTS)
        for v in versions:
            if inspect(v).info.get(_RESOLVED):
                values = {name: getattr(v, name) for name in INHERITED}
                continue
            for name in INHERITED:  # as loaded: the stored values
                value = getattr(v, name)
                if value is not None:
                    values[name] = _shown(name, value)
            _set(v, dict(values))
        return list(versions)
    by_document: dict[int, list[Version]] = {}
    for v in versions:
        if not inspect(v).info.get(_RESOLVED):
            by_document.setdefault(v.document_id, []).append(v)
    columns = (Version.seq, *_INHERITED_COLUMNS)
    if len(by_document) == 1:
        ((document_id, wanted),) = by_document.items()
        lowest = min(v.seq for v in wanted)
        rows = _connection(session).execute(
            _INHERITED_BACK_FROM, {"document_id": document_id, "seq": max(v.seq for v in wanted)})
        collected = []
        missing = set(INHERITED)
        for row in rows:  # newest first, until every column has a stored value at or below the lowest wanted seq
            collected.append(row)
            if row[0] <= lowest:
                missing -= {name for name, value in zip(INHERITED, row[1:]) if value is not None}
                if not missing:
                    break
        rows.close()
        _fill(wanted, collected[::-1])
        return list(versions)
    ids = list(by_document)
    for i in range(0, len(ids), 500):
        by_id: dict[int, list[Any]] = {}
        q = select(Version.document_id, *columns)  # type: ignore[call-overload]
        q = q.where(col(Version.document_id).in_(ids[i : i + 500]))
        for row in session.exec(q.order_by(Version.document_id, Version.seq)):
            by_id.setdefault(row[0], []).append(row[1:])
        for document_id in ids[i : i + 500]:
            _fill(by_document[document_id], by_id.get(document_id, []))
    return list(versions)


_LATEST_VERSION = (
    select(Version).where(Version.document_id == bindparam("document_id")).order_by(col(Version.seq).desc()).limit(1)
)


def latest_version(*, session: Session, document_id: int) -> Version | None:
    version = session.exec(_LATEST_VERSION, params={"document_id": document_id}).first()
    return resolve_versions(session=session, versions=[version])[0] if version is not None else None


def latest_attachments(*, session: Session, portal_id: int) -> dict[int, list[dict[str, Any]]]:
    """document id -> the attachments of its latest version, for the documents of a portal that have any."""
    q = (
        select(Version.document_id, Version.attachments)
        .join(Document, (col(Document.id) == col(Version.document_id)) & (col(Document.latest_seq) == col(Version.seq)))
        .where(col(Document.portal_id) == portal_id, col(Version.attachments).is_not(None))
    )
    return {doc_id: list(rows or []) for doc_id, rows in session.exec(q)}


def versions_of(*, session: Session, document_id: int) -> list[Version]:
    versions = list(session.exec(select(Version).where(Version.document_id == document_id).order_by(Version.seq)))
    return resolve_versions(session=session, versions=versions, complete=True)


def get_version(*, session: Session, document_id: int, seq: int) -> Version | None:
    version = session.exec(select(Version).where(Version.document_id == document_id, Version.seq == seq)).first()
    return resolve_versions(session=session, versions=[version])[0] if version is not None else None


# (database, portal id) -> the keyframe the last new document of that portal was stored against (or was): a new
# document's page most likely shares its template. Only a hint: put_raw uses it only if the blob exists and is a
# skeleton (else stores a keyframe, which becomes the hint); without a hint the portal's newest document is used.
_TEMPLATES: dict[tuple[Any, int], str] = {}


def _template_body(session: Session, document: Document | DocumentRef) -> str | None:
    """A raw body of another document of the same portal, whose page template a new document likely shares."""
    hint = _TEMPLATES.get((session.get_bind().url, document.portal_id))
    if hint is not None:
        return hint
    return session.exec(
        select(Version.raw_sha256)
        .join(Document, (col(Document.id) == col(Version.document_id)) & (col(Document.latest_seq) == col(Version.seq)))
        .where(col(Document.portal_id) == document.portal_id, col(Document.id) != document.id,
               col(Version.raw_sha256).is_not(None))
        .order_by(col(Document.id).desc())
        .limit(1)
    ).first()


_INSERT_VERSION = insert(_VERSIONS)
_DOCUMENT_CHANGED = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document_id")).values(
    latest_seq=bindparam("seq"), last_changed_at=bindparam("changed_at"))


def add_version(
    *,
    session: Session,
    document: Document | DocumentRef,
    fetched_at: datetime,
    title: str,
    paragraphs: Sequence[str],
    exact_hash: str,
    semantic_hash: str,
    raw: bytes | None = None,
    final_url: str | None = None,
    encoding: str | None = None,
    headers: dict[str, str] | None = None,
    meta: dict[str, str] | None = None,
    commitments: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    previous_paragraphs: Sequence[str] | None = None,
) -> Version:
    """Store the document's next version and make it the document's latest (its row's ``latest_seq`` and
    ``last_changed_at``, and those attributes of ``document``). Of ``headers`` only KEPT_HEADERS are kept;
    ``commitments`` (None: not extracted yet) become the document's commitment cache; ``previous_paragraphs``:
    the latest version's paragraphs, when the caller has read them already. The returned version reads like one
    from ``latest_version`` (it is not added to the session)."""
    conn = _connection(session)
    seq = document.latest_seq + 1
    previous = latest_version(session=session, document_id=document.id) if document.latest_seq else None  # type: ignore[arg-type]
    # the paragraphs it keeps from the previous version are shared with it, not stored again
    known = (known_paragraphs(session=session, ids=previous.paragraph_ids, texts=previous_paragraphs)
             if previous is not None else None)
    paragraph_ids = put_paragraphs(session=session, texts=paragraphs, known=known)
    kept = {k.lower(): v for k, v in (headers or {}).items() if k.lower() in KEPT_HEADERS} or None
    values = {"title": title, "final_url": final_url, "encoding": encoding, "headers": kept, "meta": meta}
    before = {name: getattr(previous, name) for name in INHERITED} if previous is not None else _DEFAULTS
    blob = None
    if raw is not None:
        blob = _put_raw(session, raw, encoding, list(zip(paragraph_ids, paragraphs)),
                        previous.raw_sha256 if previous else None,
                        _template_body(session, document) if previous is None else None)
        if previous is None and _is_skeleton(blob) and blob.depth <= 1:  # remember the keyframe it shares
            _TEMPLATES[(session.get_bind().url, document.portal_id)] = blob.base_sha256 or blob.sha256
    row = {
        "document_id": document.id, "seq": seq, "fetched_at": fetched_at, "exact_hash": exact_hash,
        "semantic_hash": semantic_hash, "paragraph_runs": pack_ids(paragraph_ids),
        "raw_sha256": blob.sha256 if blob is not None else None, "attachments": attachments,
        **{name: _stored(name, values[name], before[name]) for name in INHERITED},
    }
    row["id"] = conn.execute(_INSERT_VERSION, row).inserted_primary_key[0]
    conn.execute(_DOCUMENT_CHANGED, {"document_id": document.id, "seq": seq, "changed_at": fetched_at})
    for name, value in (("latest_seq", seq), ("last_changed_at", fetched_at)):
        if isinstance(document, Document):  # a model in the session: as loaded, not as changed
            set_committed_value(document, name, value)
        else:
            setattr(document, name, value)
    if previous is not None or commitments is not None:  # a new document has no cached commitments to drop
        _put_commitments(conn, document.id, seq, commitments, paragraphs)  # type: ignore[arg-type]
    version = _as_loaded(Version, row)
    _set(version, {name: _shown(name, value) if name != "title" else value for name, value in values.items()})
    return version


_COMMITMENTS = select(_COMMITMENT_CACHE.c.seq, _COMMITMENT_CACHE.c.data).where(
    _COMMITMENT_CACHE.c.document_id == bindparam("document_id"))


def version_commitments(*, session: Session, version: Version,
                        paragraphs: Sequence[str] | None = None) -> list[dict[str, Any]] | None:
    """The commitments stored for this version, or None when they are not (a baseline version not extracted yet,
    or an older version: only a document's newest version keeps them). They are stored against the version's
    paragraphs (``pack_commitments``): pass them if you have them, else they are read."""
    row = _connection(session).execute(_COMMITMENTS, {"document_id": version.document_id}).first()
    if row is None or row[0] != version.seq:
        return None
    if paragraphs is None:
        return read_commitments(session=session, stored=[(row[1], version.paragraph_ids)])[0]
    return unpack_commitments(row[1], paragraphs)


def store_commitments(*, session: Session, version: Version, rows: list[dict[str, Any]] | None,
                      paragraphs: Sequence[str] | None = None) -> None:
    """Keep ``rows`` as the commitments of ``version`` if it is its document's newest version (an older version's
    are not kept); None drops them ("not extracted yet"). One row per document, rewritten in place; an upsert, so
    two workers storing the same document's commitments at once (the end-of-cycle backfill) do not collide, and a
    newer version's commitments are never replaced by an older one's. ``paragraphs``: the version's, if you have
    them (else they are read)."""
    document = session.get(Document, version.document_id)
    if document is None or document.latest_seq != version.seq:
        return
    if rows is not None and paragraphs is None:
        paragraphs = paragraphs_of(session=session, version=version)
    _put_commitments(_connection(session), version.document_id, version.seq, rows, paragraphs or ())


_DROP_COMMITMENTS = delete(_COMMITMENT_CACHE).where(_COMMITMENT_CACHE.c.document_id == bindparam("document_id"))


@functools.lru_cache(maxsize=None)
def _commitments_upsert(dialect: str) -> Any:
    """INSERT a commitment cache row, or rewrite the document's row unless it holds a newer version's."""
    upsert = _insert(dialect, _COMMITMENT_CACHE)
    return upsert.on_conflict_do_update(
        index_elements=[_COMMITMENT_CACHE.c.document_id],
        set_={"seq": upsert.excluded.seq, "data": upsert.excluded.data},
        where=_COMMITMENT_CACHE.c.seq <= upsert.excluded.seq,
    )


def _put_commitments(conn: Connection, document_id: int, seq: int, rows: list[dict[str, Any]] | None,
                     paragraphs: Sequence[str]) -> None:
    """``store_commitments`` for version ``seq`` (whose ``paragraphs`` they are), known to be its document's
    newest."""
    if rows is None:
        conn.execute(_DROP_COMMITMENTS, {"document_id": document_id})
    else:
        conn.execute(_commitments_upsert(conn.dialect.name),
                     {"document_id": document_id, "seq": seq, "data": pack_commitments(rows, paragraphs)})


_INSERT_CHANGE = insert(_CHANGES)


def add_change(
    *,
    session: Session,
    portal_id: int,
    kind: str,
    detected_at: datetime,
    document_id: int | None = None,
    from_seq: int | None = None,
    to_seq: int | None = None,
    ops: list[dict[str, Any]] | None = None,
    targets: list[dict[str, Any]] | None = None,
    events: list[str] | None = None,
    summary: str = "",
    baseline: bool = False,
) -> Change:
    """Store a change; the returned row is not added to the session."""
    row = {
        "portal_id": portal_id, "document_id": document_id, "kind": kind, "from_seq": from_seq, "to_seq": to_seq,
        "detected_at": detected_at, "events": events or [kind], "summary": summary, "baseline": baseline,
        "ops_z": pack_json(ops or []), "targets_z": pack_json(targets or []),
    }
    row["id"] = _connection(session).execute(_INSERT_CHANGE, row).inserted_primary_key[0]
    return _as_loaded(Change, row)


def changes_since(*, session: Session, since_id: int = 0, portal_id: int | None = None) -> list[Change]:
    q = select(Change).where(Change.id > since_id)
    if portal_id is not None:
        q = q.where(Change.portal_id == portal_id)
    return list(session.exec(q.order_by(Change.id)))


def record_fetch_error(
    *, session: Session, portal_id: int, url: str, stage: str, kind: str, reason: str, status: int | None,
    fetched_at: datetime,
) -> FetchError:
    row = FetchError(portal_id=portal_id, url=url, stage=stage, kind=kind, reason=reason, status=status, fetched_at=fetched_at)
    session.add(row)
    session.flush()
    return row


# --- the outbox ------------------------------------------------------------------------------------------------
def enqueue_delivery(
    *, session: Session, subscription: str, url: str, dedup_key: str, change_ids: Iterable[int], now: datetime,
    note: dict[str, Any] | None = None,
) -> Delivery | None:
    """Add one outbox row unless one with the same key, subscription and URL exists. Returns the new row or None."""
    exists = session.exec(
        select(Delivery.id).where(
            Delivery.dedup_key == dedup_key, Delivery.subscription == subscription, Delivery.url == url
        )
    ).first()
    if exists is not None:
        return None
    delivery = Delivery(
        subscription=subscription, url=url, dedup_key=dedup_key, created_at=now, next_attempt_at=now, note=note
    )
    session.add(delivery)
    session.flush()
    for cid in dict.fromkeys(change_ids):
        session.add(DeliveryChange(delivery_id=delivery.id, change_id=cid))  # type: ignore[arg-type]
    session.flush()
    return delivery


def add_to_digest(
    *, session: Session, subscription: str, url: str, dedup_key: str, change_id: int, now: datetime,
    send_at: datetime | None = None,
) -> Delivery:
    """Add a change to the subscription's open digest (status 'collecting', sent from ``send_at`` on — default
    ``now``, i.e. at the end of this run), creating it if needed."""
    delivery = session.exec(
        select(Delivery).where(
            Delivery.dedup_key == dedup_key, Delivery.subscription == subscription, Delivery.url == url
        )
    ).first()
    if delivery is None:
        delivery = Delivery(
            subscription=subscription, url=url, dedup_key=dedup_key, created_at=now, next_attempt_at=send_at or now,
            status="collecting",
        )
        session.add(delivery)
        session.flush()
    if session.get(DeliveryChange, (delivery.id, change_id)) is None:
        session.add(DeliveryChange(delivery_id=delivery.id, change_id=change_id))  # type: ignore[arg-type]
        session.flush()
    return delivery


def close_digests(*, session: Session, now: datetime) -> int:
    """Make collecting digests whose send time has come sendable."""
    stmt = update(Delivery).where(col(Delivery.status) == "collecting", col(Delivery.next_attempt_at) <= now)
    result = session.exec(stmt.values(status="pending"))  # type: ignore[call-overload]
    return result.rowcount or 0


def release_orphaned_deliveries(*, session: Session) -> int:
    """Put rows left in 'sending' by a process that died back to 'pending' (call only while holding the run lock)."""
    result = session.exec(  # type: ignore[call-overload]
        update(Delivery).where(col(Delivery.status) == "sending").values(status="pending")
    )
    return result.rowcount or 0


def due_deliveries(*, session: Session, now: datetime, ignore_backoff: bool = False) -> list[Delivery]:
    q = select(Delivery).where(Delivery.status == "pending")
    if not ignore_backoff:
        q = q.where(Delivery.next_attempt_at <= now)
    return list(session.exec(q.order_by(Delivery.id)))


def claim_delivery(*, session: Session, delivery_id: int, now: datetime) -> bool:
    """Atomically move a pending row to 'sending' and count the attempt. False if someone else claimed it."""
    result = session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == "pending")
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1)
    )
    return (result.rowcount or 0) == 1


def finish_delivery(
    *, session: Session, delivery_id: int, ok: bool, error: str | None, now: datetime, max_attempts: int,
    backoff: timedelta,
) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    session.refresh(delivery)
    if ok:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
    elif delivery.attempts >= max_attempts:
        delivery.status, delivery.last_error = "failed", error
    else:
        delivery.status, delivery.last_error = "pending", error
        delivery.next_attempt_at = now + backoff * (2 ** max(0, delivery.attempts - 1))
    session.add(delivery)
    session.flush()
    return delivery


def delivery_change_ids(*, session: Session, delivery_id: int) -> list[int]:
    rows = session.exec(
        select(DeliveryChange.change_id).where(DeliveryChange.delivery_id == delivery_id).order_by(DeliveryChange.change_id)
    )
    return list(rows)


def list_deliveries(*, session: Session, status: str | None = None) -> list[Delivery]:
    q = select(Delivery)
    if status:
        q = q.where(Delivery.status == status)
    return list(session.exec(q.order_by(Delivery.id)))


# --- export ----------------------------------------------------------------------------------------------------
def all_documents(*, session: Session) -> list[tuple[Document, Portal]]:
    q = select(Document, Portal).where(Document.portal_id == Portal.id).order_by(Document.id)
    return list(session.exec(q))


def all_changes(*, session: Session) -> list[Change]:
    return list(session.exec(select(Change).order_by(Change.id)))
