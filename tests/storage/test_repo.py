"""Storage behaviour on real SQLite and PostgreSQL: content addressing, versions, the outbox's state machine."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

import storage
from storage import Blob, CommitmentCache, ParagraphChunk, Version, queries, repo
from storage.models import find_in_texts, new_chunk, pack_texts, segment, unpack_texts, unpack_texts_at

from ..conftest import stored_texts

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(database_url):
    engine = storage.make_engine(database_url)
    storage.init_db(engine)
    yield engine
    engine.dispose()


def _doc(s):
    portal = repo.get_or_create_portal(session=s, name="p", now=NOW)
    return repo.create_document(session=s, portal_id=portal.id, url="http://127.0.0.1/a.html", title="方案", now=NOW)


def test_versions_share_paragraphs_and_raw_bodies(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        paras = ["一、总体要求", "到2020年底，能耗比2015年下降23%以上。", "二、主要任务"]
        v1 = repo.add_version(session=s, document=doc, fetched_at=NOW, title="方案", paragraphs=paras,
                              exact_hash="a", semantic_hash="a", raw="<p>同一页面</p>".encode())
        edited = [paras[0], "到2020年底，能耗比2015年下降20%以上。", paras[2]]
        v2 = repo.add_version(session=s, document=doc, fetched_at=NOW + timedelta(hours=1), title="方案",
                              paragraphs=edited, exact_hash="b", semantic_hash="b", raw="<p>同一页面</p>".encode())
        s.commit()
        assert (v1.seq, v2.seq) == (1, 2)
        assert repo.paragraphs_of(session=s, version=v2) == edited
        assert repo.paragraphs_of(session=s, version=v1) == paras
        # one new paragraph for the edit; one blob for two identical bodies
        assert sorted(stored_texts(s)) == sorted([*paras, edited[1]])
        assert len(s.exec(select(Blob)).all()) == 1
        assert repo.read_blob(session=s, sha256=v1.raw_sha256) == "<p>同一页面</p>".encode()
        assert repo.latest_version(session=s, document_id=doc.id).seq == 2


def test_versions_stored_together_share_a_row_and_each_reads_back_and_is_found(engine):
    texts = [[f"第{i}号方案第{j}段：到2025年完成改造任务{i * 10 + j}项。" for j in range(4)] for i in range(3)]
    with storage.session(engine) as s:
        portal = repo.get_or_create_portal(session=s, name="p", now=NOW)
        docs = [repo.create_document(session=s, portal_id=portal.id, url=f"http://127.0.0.1/{i}.html", title="方案",
                                     now=NOW) for i in range(3)]
        versions = [repo.add_version(session=s, document=doc, fetched_at=NOW, title="方案", paragraphs=paras,
                                     exact_hash=str(i), semantic_hash=str(i)) for i, (doc, paras) in enumerate(zip(docs, texts))]
        s.commit()
        # on SQLite one row for a transaction's three documents; PostgreSQL would keep each rewrite of a shared row
        assert len(s.exec(select(ParagraphChunk)).all()) == (1 if engine.dialect.name == "sqlite" else 3)
        for version, paras in zip(versions, texts):
            assert repo.paragraphs_of(session=s, version=version) == paras
        hits = queries.search_text(session=s, q="任务21项")  # in the second segment of the chunk
        assert [(hit.document.id, hit.paragraph) for hit in hits] == [(docs[2].id, texts[2][1])]


def test_a_rolled_back_transactions_chunk_is_not_appended_to(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        s.commit()
        repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["回滚前的一段"],
                         exact_hash="a", semantic_hash="a")
        s.rollback()
        v = repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["回滚后的一段"],
                             exact_hash="b", semantic_hash="b")
        s.commit()
        assert repo.paragraphs_of(session=s, version=v) == ["回滚后的一段"]
        assert stored_texts(s) == ["回滚后的一段"]


def test_version_sequence_is_unique_per_document(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["a"], exact_hash="a",
                         semantic_hash="a")
        s.commit()
        doc.latest_seq = 0  # a second writer that read a stale sequence number
        with pytest.raises(IntegrityError):
            repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["b"], exact_hash="b",
                             semantic_hash="b")
            s.commit()


def test_outbox_claim_retry_and_no_resend(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        change = repo.add_change(session=s, portal_id=doc.portal_id, document_id=doc.id, kind="new", detected_at=NOW)
        d = repo.enqueue_delivery(session=s, subscription="ops", url="json://127.0.0.1/h", dedup_key=f"change:{change.id}",
                                  change_ids=[change.id], now=NOW)
        again = repo.enqueue_delivery(session=s, subscription="ops", url="json://127.0.0.1/h",
                                      dedup_key=f"change:{change.id}", change_ids=[change.id], now=NOW)
        s.commit()
        assert again is None  # one delivery per change, subscription and URL
        assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
        s.commit()
        assert not repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)  # already in flight
        s.commit()
        row = repo.finish_delivery(session=s, delivery_id=d.id, ok=False, error="HTTP 500", now=NOW, max_attempts=3,
                                   backoff=timedelta(minutes=1))
        s.commit()
        assert row.status == "pending" and row.next_attempt_at == NOW + timedelta(minutes=1)
        assert repo.due_deliveries(session=s, now=NOW) == []
        assert [x.id for x in repo.due_deliveries(session=s, now=NOW, ignore_backoff=True)] == [d.id]
        assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
        row = repo.finish_delivery(session=s, delivery_id=d.id, ok=True, error=None, now=NOW, max_attempts=3,
                                   backoff=timedelta(minutes=1))
        s.commit()
        assert row.status == "sent" and row.attempts == 2
        assert repo.due_deliveries(session=s, now=NOW + timedelta(days=1), ignore_backoff=True) == []


def test_orphaned_claim_is_released_and_failures_stop_at_the_limit(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        change = repo.add_change(session=s, portal_id=doc.portal_id, document_id=doc.id, kind="new", detected_at=NOW)
        d = repo.enqueue_delivery(session=s, subscription="ops", url="json://x", dedup_key="k", change_ids=[change.id], now=NOW)
        s.commit()
        assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
        s.commit()
        # the process died here; the next run (holding the lock) releases the row
        assert repo.release_orphaned_deliveries(session=s) == 1
        s.commit()
        for attempt in range(2):
            assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
            row = repo.finish_delivery(session=s, delivery_id=d.id, ok=False, error="timeout", now=NOW, max_attempts=3,
                                       backoff=timedelta(seconds=1))
            s.commit()
        assert row.status == "failed" and row.attempts == 3 and row.last_error == "timeout"


def test_digest_collects_changes_then_opens(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        ids = [repo.add_change(session=s, portal_id=doc.portal_id, document_id=doc.id, kind="revised", detected_at=NOW).id
               for _ in range(3)]
        for cid in ids:
            repo.add_to_digest(session=s, subscription="daily", url="json://x", dedup_key="digest:1", change_id=cid, now=NOW)
        s.commit()
        assert repo.due_deliveries(session=s, now=NOW) == []
        assert repo.close_digests(session=s, now=NOW) == 1
        s.commit()
        (d,) = repo.due_deliveries(session=s, now=NOW)
        assert repo.delivery_change_ids(session=s, delivery_id=d.id) == sorted(ids)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_raw_bodies_round_trip_byte_for_byte(engine, encoding):
    paras = ["一、总体要求：到2020年底，全市规模以上企业单位工业增加值能耗比2015年下降23%以上。",
             "二、主要任务：2020年年底前全面淘汰退出达不到标准的落后产能和不达标企业。"]
    page = ("<html><head><meta charset='gbk'></head><body><div class='nav'>首页 政策文件</div>"
            + "".join(f"<p>{p}</p>" for p in paras) + "<p>浏览次数：12</p></body></html>")
    raw = page.encode(encoding)
    with storage.session(engine) as s:
        doc = _doc(s)
        v = repo.add_version(session=s, document=doc, fetched_at=NOW, title="方案", paragraphs=paras, exact_hash="a",
                             semantic_hash="a", raw=raw, encoding=encoding)
        s.commit()
        blob = s.get(Blob, v.raw_sha256)
        assert blob.codec == f"skel-zlib:{encoding}"  # the text is stored once, in the paragraphs
        assert repo.read_blob(session=s, sha256=v.raw_sha256) == raw
        # bytes that do not decode as declared are kept whole, not lost
        odd = b"\xff\xfe<p>" + raw
        v2 = repo.add_version(session=s, document=doc, fetched_at=NOW, title="方案", paragraphs=paras, exact_hash="b",
                              semantic_hash="b", raw=odd, encoding="utf-8")
        s.commit()
        assert s.get(Blob, v2.raw_sha256).codec == "zlib"
        assert repo.read_blob(session=s, sha256=v2.raw_sha256) == odd


def test_commitments_are_stored_compressed_and_none_means_not_extracted(engine):
    rows = [{"kind": "target", "quote": "下降23%以上", "metric": "能耗", "value": 23, "unit": "%"}] * 40
    with storage.session(engine) as s:
        doc = _doc(s)
        v = repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["a"], exact_hash="a",
                             semantic_hash="a", commitments=None)
        s.commit()
        assert repo.version_commitments(session=s, version=v) is None
        repo.store_commitments(session=s, version=v, rows=rows)
        s.commit()
        again = repo.latest_version(session=s, document_id=doc.id)
        assert repo.version_commitments(session=s, version=again) == rows
        assert len(s.get(CommitmentCache, doc.id).data) < len(str(rows).encode()) / 5
        # only the newest version keeps its commitments: the next one (not extracted yet) drops them
        v2 = repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["b"], exact_hash="b",
                              semantic_hash="b", commitments=None)
        s.commit()
        assert repo.version_commitments(session=s, version=v2) is None
        assert repo.version_commitments(session=s, version=again) is None
        repo.store_commitments(session=s, version=again, rows=rows)  # an older version's are not kept
        v3 = repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["c"], exact_hash="c",
                              semantic_hash="c", commitments=rows[:1])
        s.commit()
        assert repo.version_commitments(session=s, version=v3) == rows[:1]
        assert len(s.exec(select(CommitmentCache)).all()) == 1


def test_a_plans_commitments_cost_a_fraction_of_their_quotes(engine):
    """A commitment's quote and metric are pieces of its paragraph, which the version stores anyway: the cache
    refers to that text instead of holding it again, and reads back exactly."""
    from diffing.targets import extract_commitments
    from storage.models import pack_json

    text = (Path(__file__).resolve().parents[1] / "data/seeds/001_287681968311ce01.txt").read_text(encoding="utf-8")
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    rows = [c.to_json() | {"paragraph": c.paragraph} for c in extract_commitments(paragraphs)]
    assert len(rows) > 20
    with storage.session(engine) as s:
        v = repo.add_version(session=s, document=_doc(s), fetched_at=NOW, title="方案", paragraphs=paragraphs,
                             exact_hash="a", semantic_hash="a", commitments=rows)
        s.commit()
        assert repo.version_commitments(session=s, version=v) == rows
        assert len(s.get(CommitmentCache, v.document_id).data) < len(pack_json(rows)) / 2


def test_any_unicode_text_is_stored_even_what_gb18030_cannot_encode(engine):
    paragraphs = ["到2025年，PM2.5浓度下降10%。", "𠀀𪚥 ① Ⅻ ﬁ é", "\ud800 一个落单的代理项"]  # the last: a lone surrogate
    with storage.session(engine) as s:
        doc = _doc(s)
        v1 = repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=paragraphs[:2],
                              exact_hash="a", semantic_hash="a")
        v2 = repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=paragraphs,
                              exact_hash="b", semantic_hash="b")
        s.commit()
        assert repo.paragraphs_of(session=s, version=v1) == paragraphs[:2]
        assert repo.paragraphs_of(session=s, version=v2) == paragraphs


# letters, CJK characters whose GB18030 second byte is an ASCII letter ("丄" is 0x81 'A'), and a text GB18030
# cannot encode: where a byte-level search could go wrong
_SEARCHED = st.text(alphabet="PMpm2.5丄丅乇中文 \ud800", max_size=12)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_SEARCHED, max_size=6), q=_SEARCHED.filter(bool), split=st.integers(0, 6))
def test_a_search_in_a_stored_chunk_finds_exactly_the_texts_holding_the_query(texts, q, split):
    fold = str.maketrans("PM", "pm")  # A–Z in either case; everything else as it is
    expected = [(i, t) for i, t in enumerate(texts) if q.translate(fold) in t.translate(fold)]
    assert find_in_texts(pack_texts(texts), q) == expected
    # a chunk of two segments (two versions stored in one transaction): the same texts at the same indexes
    chunk = new_chunk(texts[:split]) + segment(texts[split:])
    assert find_in_texts(chunk, q) == expected
    assert unpack_texts(chunk) == texts
    wanted = range(max(split - 1, 0), len(texts), 2)  # texts on both sides of the segments' boundary
    assert unpack_texts_at(chunk, wanted) == {i: texts[i] for i in wanted}


def test_a_version_reads_back_its_title_metadata_and_urls_however_they_changed(engine):
    """Unchanged title, final URL, encoding, headers and metadata are stored once, not per version; every version
    still reads back its own values, including a value that went away."""
    meta = {"doc_number": "郑政办〔2018〕63号", "issuer": "郑州市人民政府办公厅"}
    states = [
        ("方案", "http://127.0.0.1/a.html", "utf-8", {"etag": '"1"', "Server": "nginx"}, meta),
        ("方案", "http://127.0.0.1/a.html", "utf-8", {"etag": '"2"', "Set-Cookie": "x=1"}, meta),
        ("方案（修订）", "http://127.0.0.1/b.html", "gb18030", {"etag": '"2"'}, meta | {"issuer": "郑州市人民政府"}),
        ("方案（修订）", None, None, {}, None),
        ("", None, None, {"Content-Type": "text/html"}, meta),
        ("", None, None, {"Content-Type": "text/html"}, meta),
    ]
    with storage.session(engine) as s:
        doc = _doc(s)
        for n, (title, final_url, encoding, headers, m) in enumerate(states):
            repo.add_version(session=s, document=doc, fetched_at=NOW, title=title, paragraphs=[f"第{n}版"],
                             exact_hash=str(n), semantic_hash=str(n), final_url=final_url, encoding=encoding,
                             headers=headers, meta=m)
            s.commit()

    def seen(v):
        return v.title, v.final_url, v.encoding, v.headers, v.meta

    expected = [(t, u, e, {k.lower(): v for k, v in h.items() if k.lower() in repo.KEPT_HEADERS} or None, m)
                for t, u, e, h, m in states]
    with storage.session(engine) as s:  # a fresh session: values come from the stored rows
        assert [seen(v) for v in repo.versions_of(session=s, document_id=doc.id)] == expected
    for seq in range(1, len(states) + 1):
        with storage.session(engine) as s:
            assert seen(repo.get_version(session=s, document_id=doc.id, seq=seq)) == expected[seq - 1]
    with storage.session(engine) as s:
        assert seen(repo.latest_version(session=s, document_id=doc.id)) == expected[-1]
        # unchanged values are not stored again
        stored = s.exec(select(Version.seq, Version.title, Version.meta).order_by(Version.seq)).all()
        assert [(seq, t) for seq, t, _m in stored if t is not None] == [(1, "方案"), (3, "方案（修订）"), (5, "")]
        assert sum(m is not None for _seq, _t, m in stored) == 4


def test_a_revision_costs_little_more_than_its_changed_text(engine):
    paras = [f"（{i}）到2025年，第{i}项任务的单位工业增加值能耗比2020年下降{i % 9 + 10}%以上，并完成相关配套改革。"
             for i in range(60)]
    chrome = "".join(f"<li><a href='/col{i}/index.html'>栏目{i}</a></li>" for i in range(300))

    def page(ps, views):
        return (f"<html><body><ul>{chrome}</ul>" + "".join(f"<p>{p}</p>" for p in ps)
                + f"<span>浏览次数：{views}</span></body></html>").encode()

    with storage.session(engine) as s:
        doc = _doc(s)
        current = list(paras)
        raws = []
        for n in range(12):
            current = list(current)
            current[n * 5] = current[n * 5].replace("以上", "左右")
            raw = page(current, 1000 + n)
            raws.append(raw)
            v = repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=current,
                                 exact_hash=str(n), semantic_hash=str(n), raw=raw, encoding="utf-8")
            s.commit()
        blobs = {b.sha256: b for b in s.exec(select(Blob)).all()}
        deltas = [b for b in blobs.values() if b.base_sha256]
        assert deltas and max(b.depth for b in blobs.values()) <= repo.MAX_DELTA_DEPTH
        assert max(len(b.data) for b in deltas) < 600  # the page template is not stored again
        for version in repo.versions_of(session=s, document_id=doc.id):  # every body still comes back exactly
            assert repo.read_blob(session=s, sha256=version.raw_sha256) == raws[version.seq - 1]


def test_a_new_documents_page_template_is_not_stored_again(engine):
    """The second document of a portal keeps its page as a small delta against the first one's; both read back
    byte for byte, and the first document's page is still whole after the second was stored."""
    chrome = "".join(f"<li><a href='/col{i}/index.html'>栏目{i}</a></li>" for i in range(300))

    def page(title, ps):
        return (f"<html><head><title>{title}</title></head><body><ul>{chrome}</ul>"
                + "".join(f"<p>{p}</p>" for p in ps) + "</body></html>").encode()

    first = [f"第{i}条：到2025年，单位工业增加值能耗比2020年下降{i + 10}%以上，并完成相关配套改革。" for i in range(20)]
    second = [f"第{i}条：2023年年底前完成第{i}批老旧小区改造，改造面积不少于{i + 3}万平方米。" for i in range(25)]
    with storage.session(engine) as s:
        portal = repo.get_or_create_portal(session=s, name="p", now=NOW)
        raws = {}
        for n, (title, paras) in enumerate([("方案", first), ("通知", second)]):
            doc = repo.create_document(session=s, portal_id=portal.id, url=f"http://127.0.0.1/{n}.html", title=title,
                                       now=NOW)
            raws[doc.id] = page(title, paras)
            repo.add_version(session=s, document=doc, fetched_at=NOW, title=title, paragraphs=paras,
                             exact_hash=str(n), semantic_hash=str(n), raw=raws[doc.id], encoding="utf-8")
            s.commit()
    with storage.session(engine) as s:
        stored = [repo.latest_version(session=s, document_id=doc_id) for doc_id in raws]
        keyframe, delta = (s.get(Blob, v.raw_sha256) for v in stored)
        assert delta.base_sha256 == keyframe.sha256 and len(delta.data) < 200 < len(keyframe.data)
        for v in stored:
            assert repo.read_blob(session=s, sha256=v.raw_sha256) == raws[v.document_id]


_PIECES = [b"<p>", b"</p>", b">", b"<", b"\x00", b"12", "浏览".encode(), b"\n", b"<div class='nav'>", b"</div>", b"a"]


@settings(max_examples=300, deadline=None)
@given(base=st.lists(st.sampled_from(_PIECES), max_size=120).map(b"".join),
       new=st.lists(st.sampled_from(_PIECES), max_size=120).map(b"".join), cut=st.integers(0, 10_000))
def test_a_skeleton_delta_rebuilds_the_exact_bytes(base, new, cut):
    edited = base[: cut % (len(base) + 1)] + new + base[cut % (len(base) + 1):]  # an insertion, as a revision makes
    for target in (new, edited, base, b""):
        assert repo.apply_delta(base, repo.make_delta(base, target)) == target
