"""Hypothesis on arbitrary input where hostile pages reach the code: extraction of any markup, normalisation and
the paragraph diff on any Unicode (tests/diffing covers policy-shaped text), and the storage round trip of any
paragraphs and raw body (content-addressed paragraphs, skeleton- and delta-compressed bodies) on SQLite and
PostgreSQL."""
from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import storage
from diffing import apply_ops, diff_paragraphs, fingerprint, light_normalize, normalize_paragraphs
from spiders.errors import ExtractError
from spiders.extract import extract_document
from storage import repo
from storage.repo import MAX_DELTA_DEPTH

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Decoded bodies never hold lone surrogates (every decoder in spiders.charset yields valid text); anything else goes.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
cjk_text = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF) | st.sampled_from("　 \n\t，。%0123456789"),
                   max_size=40)
text = any_text | cjk_text


TAGS = ["div", "p", "span", "br", "table", "tr", "td", "ul", "li", "a", "h1", "title", "script", "style", "font",
        "b", "o:p", "html", "head", "body", "meta", "iframe", "textarea", "noscript", "pre", "select", "option"]
ATTRS = ['', ' class="TRS_Editor"', ' id="zoom"', ' style="display:none"', ' class="footer"', ' href="/a.pdf"',
         ' href="javascript:void(0)"', ' name="ArticleTitle" content="标题"', ' charset="gbk"', ' class=TRS_Editor']


@st.composite
def markup(draw) -> str:
    """Fragments of tag soup: open and close tags in any order, comments, entities, CDATA and text."""
    pieces = draw(st.lists(st.one_of(
        text,
        st.builds(lambda t, a: f"<{t}{a}>", st.sampled_from(TAGS), st.sampled_from(ATTRS)),
        st.builds(lambda t: f"</{t}>", st.sampled_from(TAGS)),
        st.sampled_from(["<!--", "-->", "<![CDATA[", "]]>", "&nbsp;", "&#12288;", "&#0;", "&#xD800;", "&amp",
                         "<", ">", "<?xml version='1.0' encoding='gbk'?>", "<!DOCTYPE html>", "\x00", "\ufeff"]),
    ), max_size=40))
    return "".join(pieces)


def _check_extraction(html: str, **kw) -> None:
    try:
        got = extract_document(html, "http://127.0.0.1/col/202401/t20240101_1.html", **kw)
    except ExtractError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(got.title, str) and got.title == got.title.strip()
    assert isinstance(got.paragraphs, list)
    for p in got.paragraphs:
        assert isinstance(p, str) and p and p == p.strip(), repr(p)
        assert "\x00" not in p  # PostgreSQL text cannot hold NUL; extraction must never produce it
    assert "\x00" not in got.title


@SETTINGS
@given(markup())
def test_extraction_of_any_markup_raises_nothing_but_extract_error(html):
    _check_extraction(html)
    _check_extraction(html, body_selector="div.TRS_Editor", family="trs")


@SETTINGS
@given(any_text)
def test_extraction_of_any_text_raises_nothing_but_extract_error(raw):
    _check_extraction(raw)


# --- normalisation and diff on any Unicode -------------------------------------------------------------------
@SETTINGS
@given(text)
def test_light_normalisation_of_any_text_is_idempotent(t):
    once = light_normalize(t)
    assert light_normalize(once) == once


@pytest.mark.parametrize("raw", ["A´", "e¨", "n˜"])  # NFKC: a space and a combining mark (found by the test above)
def test_light_normalisation_of_a_spacing_accent_is_idempotent(raw):
    once = light_normalize(raw)
    assert light_normalize(once) == once


@SETTINGS
@given(st.lists(text, max_size=8))
def test_normalisation_of_any_paragraphs_is_idempotent_and_keeps_the_fingerprint(doc):
    once = normalize_paragraphs(doc)
    assert normalize_paragraphs(once) == once
    assert fingerprint(once, level="semantic") == fingerprint(doc, level="semantic")


@SETTINGS
@given(st.lists(text, max_size=8), st.lists(text, max_size=8))
def test_ops_rebuild_any_new_document(old, new):
    rebuilt = apply_ops(old, diff_paragraphs(old, new))
    assert normalize_paragraphs(rebuilt) == normalize_paragraphs(new)


# --- the storage round trip ----------------------------------------------------------------------------------
NOW = datetime(2024, 1, 5, tzinfo=timezone.utc)
_urls = itertools.count()


def _page(paragraphs: list[str], extra: str) -> str:
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    return f"<html><head><title>{extra}</title></head><body><div class=\"TRS_Editor\">{body}</div>{extra}</body></html>"


def _round_trip(engine, history: list[tuple[list[str], str, str]]) -> None:
    """Store successive versions of one new document, then read every version back."""
    with storage.session(engine) as s:
        portal = repo.get_or_create_portal(session=s, name="props", now=NOW)
        doc = repo.create_document(session=s, portal_id=portal.id, url=f"http://127.0.0.1/p/{next(_urls)}.html",
                                   title="t", now=NOW)
        stored = []
        for paragraphs, extra, encoding in history:
            raw = _page(paragraphs, extra).encode(encoding, errors="replace")
            v = repo.add_version(session=s, document=doc, fetched_at=NOW, title=extra, paragraphs=paragraphs,
                                 exact_hash=hashlib.sha256(raw).hexdigest(), semantic_hash="s", raw=raw,
                                 encoding=encoding)
            stored.append((v.seq, paragraphs, raw))
        s.commit()
        doc_id = doc.id
    with storage.session(engine) as s:  # a fresh session: nothing comes from the identity map
        for seq, paragraphs, raw in stored:
            v = repo.get_version(session=s, document_id=doc_id, seq=seq)
            assert repo.paragraphs_of(session=s, version=v) == paragraphs
            assert repo.read_blob(session=s, sha256=v.raw_sha256) == raw
            assert v.raw_sha256 == hashlib.sha256(raw).hexdigest()


def _histories(paragraph_text):
    version = st.tuples(st.lists(paragraph_text, max_size=6), paragraph_text,
                        st.sampled_from(["utf-8", "gb18030", "utf-16-le", "latin-1"]))
    # long enough for the delta chains of raw bodies to reach their depth limit
    return st.lists(version, min_size=1, max_size=MAX_DELTA_DEPTH + 3)


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory):
    from policywatch.ops import open_engine

    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('props') / 'pw.db'}")
    yield engine
    engine.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(history=_histories(text))
def test_any_paragraphs_and_raw_bodies_round_trip_on_sqlite(sqlite_engine, history):
    _round_trip(sqlite_engine, history)


@pytest.mark.postgres
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(history=_histories(text.map(lambda t: t.replace("\x00", ""))))  # extraction never yields NUL (above)
def test_any_paragraphs_and_raw_bodies_round_trip_on_postgresql(postgres_engine, history):
    _round_trip(postgres_engine, history)


@pytest.fixture(scope="module")
def postgres_engine(postgres):
    from policywatch.ops import open_engine

    engine = open_engine(postgres.new_database())
    yield engine
    engine.dispose()
