"""Storing what a fetch says about a document, and its paragraphs, on real SQLite and PostgreSQL: one row per URL
whatever the number of fetches, and a version's paragraph texts once each, however many arrive at a time."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

import storage
from storage import repo

from ..conftest import stored_texts
from .test_repo import NOW, engine  # noqa: F401  (the same fresh database of each kind)

URL = "http://127.0.0.1/zwgk/a.html"


def test_a_document_is_created_by_its_first_fetch_and_updated_by_the_next(engine):
    with storage.session(engine) as s:
        first, other = (repo.get_or_create_portal(session=s, name=name, now=NOW).id for name in ("p", "q"))
        doc = repo.save_document(session=s, portal_id=first, url=URL, now=NOW,
                                 values={"title": "方案", "etag": '"1"', "last_checked_at": NOW})
        assert doc.latest_seq == 0
        repo.add_version(session=s, document=doc, fetched_at=NOW, title="方案", paragraphs=["一、总体要求"],
                         exact_hash="a", semantic_hash="a")
        s.commit()
    later = NOW + timedelta(hours=1)
    with storage.session(engine) as s:  # the next cycle fetches it again, from another portal's list
        again = repo.save_document(session=s, portal_id=other, url=URL, now=later,
                                   values={"title": "方案（修订）", "etag": '"2"', "last_checked_at": later})
        assert (again.id, again.portal_id, again.latest_seq) == (doc.id, first, 1)
        v2 = repo.add_version(session=s, document=again, fetched_at=later, title="方案（修订）",
                              paragraphs=["一、总体要求", "二、主要任务"], exact_hash="b", semantic_hash="b")
        s.commit()
        assert v2.seq == again.latest_seq == 2
    with storage.session(engine) as s:
        row = repo.get_document(session=s, url=URL)
        assert (row.portal_id, row.title, row.etag, row.latest_seq) == (first, "方案（修订）", '"2"', 2)
        assert row.first_seen_at.replace(tzinfo=None) == NOW.replace(tzinfo=None)
        assert row.last_changed_at.replace(tzinfo=None) == later.replace(tzinfo=None)
        versions = repo.versions_of(session=s, document_id=doc.id)
        assert [repo.paragraphs_of(session=s, version=v) for v in versions] == [["一、总体要求"],
                                                                                ["一、总体要求", "二、主要任务"]]
        assert [v.title for v in versions] == ["方案", "方案（修订）"]


def test_a_first_crawl_guessing_new_documents_still_updates_a_known_one(engine):
    """A portal's first crawl tries each document's insert first (``likely_new``); a URL stored already (an earlier
    first crawl that was stopped, or a URL another portal's list links too) is updated, never duplicated."""
    with storage.session(engine) as s:
        portal = repo.get_or_create_portal(session=s, name="p", now=NOW).id
        new = repo.save_document(session=s, portal_id=portal, url=URL, now=NOW, likely_new=True,
                                 values={"title": "方案", "etag": '"1"', "last_checked_at": NOW})
        assert (new.portal_id, new.latest_seq, new.last_changed_at) == (portal, 0, None)
        repo.add_version(session=s, document=new, fetched_at=NOW, title="方案", paragraphs=["一、总体要求"],
                         exact_hash="a", semantic_hash="a")
        s.commit()
    later = NOW + timedelta(hours=1)
    with storage.session(engine) as s:
        known = repo.save_document(session=s, portal_id=portal, url=URL, now=later, likely_new=True,
                                   values={"title": "方案（修订）", "etag": '"2"', "last_checked_at": later})
        s.commit()
        assert (known.id, known.latest_seq) == (new.id, 1)
        rows = s.exec(select(storage.Document)).all()
        assert [(d.url, d.title, d.etag, d.latest_seq) for d in rows] == [(URL, "方案（修订）", '"2"', 1)]
        assert rows[0].first_seen_at.replace(tzinfo=None) == NOW.replace(tzinfo=None)


@pytest.mark.parametrize("count", [1, 3, 64, 700, 1500])
def test_paragraphs_arriving_together_are_stored_once_each_and_known_ones_never_again(engine, count):
    texts = [f"第{i % 1200}条：到2025年完成第{i % 1200}项任务。" for i in range(count)]  # repeats past 1,200
    with storage.session(engine) as s:
        ids = repo.put_paragraphs(session=s, texts=texts)
        s.commit()
        assert len(set(ids)) == len(set(texts))
        known = dict(zip(texts, ids))  # say, the previous version's
        assert repo.put_paragraphs(session=s, texts=texts[::-1], known=known) == ids[::-1]
        assert repo.put_paragraphs(session=s, texts=[*texts, "新增一段"], known=known)[:-1] == ids
        s.commit()
        assert sorted(stored_texts(s)) == sorted({*texts, "新增一段"})
        stored = repo.paragraph_texts(session=s, ids=ids)
        assert [stored[i] for i in ids] == texts
