"""Hypothesis properties of the differ: no ops for equal documents, ops rebuild the new version, inline spans
round-trip and never cut through a number."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffing import apply_ops, diff_paragraphs, inline_diff, normalize_paragraphs, ops_from_json, ops_to_json
from diffing.normalize import PINYIN_MIN_HITS, light_each, pinyin_hits, strong_each

SETTINGS = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CLAUSES = [
    "全市规模以上企业单位工业增加值能耗比2015年下降", "单位工业增加值用水量", "淘汰落后产能", "严禁“一刀切”",
    "2020年年底前", "2021年6月底前", "到“十四五”末", "不低于", "以上", "左右", "VOCs(挥发性有机物)", "(1.1GWH)",
    "推進工業結構調整", "網(wǎng)站", "打贏(yíng)", "攻堅(jiān)戰(zhàn)", "浏览次数:450", "【打印本页】",
    "，", "。", "；", "、", ",", " ", "　", "到 2025 年", "<script>", "&amp;",
]
MARKERS = ["", "", "", "一、", "(一)", "（二）", "1.", "2、", "(3)", "④", "第五条"]
numbers = st.builds(lambda n, u: f"{n}{u}", st.integers(0, 3000), st.sampled_from(["%", "万吨", "个", "台", "", "个百分点"]))
paragraph = st.builds(
    lambda m, parts: m + "".join(parts),
    st.sampled_from(MARKERS),
    st.lists(st.one_of(st.sampled_from(CLAUSES), numbers, st.text("加强监管推进落实。，", max_size=6)), max_size=8),
)
documents = st.lists(paragraph, max_size=14)


@st.composite
def revisions(draw):
    """An old document and a new one made from it by a few typical edits."""
    old = draw(documents)
    new = list(old)
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["insert", "delete", "edit", "move", "split", "merge", "renumber", "blank"]))
        n = len(new)
        if kind == "insert" or n == 0:
            new.insert(draw(st.integers(0, n)), draw(paragraph))
        elif kind == "delete":
            del new[draw(st.integers(0, n - 1))]
        elif kind == "edit":
            k = draw(st.integers(0, n - 1))
            new[k] = new[k] + draw(st.one_of(numbers, st.sampled_from(CLAUSES)))
        elif kind == "move":
            p = new.pop(draw(st.integers(0, n - 1)))
            new.insert(draw(st.integers(0, n - 1)), p)
        elif kind == "split":
            k = draw(st.integers(0, n - 1))
            cut = draw(st.integers(0, len(new[k])))
            new[k:k + 1] = [new[k][:cut], new[k][cut:]]
        elif kind == "merge" and n >= 2:
            k = draw(st.integers(0, n - 2))
            new[k:k + 2] = [new[k] + new[k + 1]]
        elif kind == "renumber":
            k = draw(st.integers(0, n - 1))
            new[k] = draw(st.sampled_from(MARKERS[3:])) + new[k]
        else:
            new.insert(draw(st.integers(0, n)), draw(st.sampled_from(["", "  ", "浏览次数:1632"])))
    return old, new


def same_text(a: list[str], b: list[str], reference: tuple[list[str], list[str]]) -> bool:
    """Equal after the differ's own normalisation (pinyin decision taken jointly, as diff_paragraphs does)."""
    strip = max(pinyin_hits("\n".join(light_each(d))) for d in reference) >= PINYIN_MIN_HITS
    return [p for p in strong_each(a, strip_pinyin=strip) if p] == [p for p in strong_each(b, strip_pinyin=strip) if p]


@SETTINGS
@given(documents)
def test_diff_of_a_document_with_itself_is_empty(doc):
    assert diff_paragraphs(doc, list(doc)) == []


@SETTINGS
@given(revisions())
def test_ops_rebuild_the_new_document(pair):
    old, new = pair
    ops = diff_paragraphs(old, new)
    assert same_text(apply_ops(old, ops), new, pair)
    # ops come in new-document order
    produced = [o.new_index for o in ops if o.op != "delete" and o.kind != "merge"]
    assert produced == sorted(produced) and len(set(produced)) == len(produced)
    # each old paragraph is accounted for at most once
    consumed = [o.old_index for o in ops if o.old_index is not None]
    assert len(set(consumed)) == len(consumed)


@SETTINGS
@given(revisions())
def test_ops_survive_json_when_there_are_no_blank_paragraphs(pair):
    old, new = (normalize_paragraphs(d) for d in pair)
    ops = ops_from_json(ops_to_json(diff_paragraphs(old, new)))
    assert normalize_paragraphs(apply_ops(old, ops)) == normalize_paragraphs(new)


@SETTINGS
@given(documents, documents)
def test_ops_rebuild_unrelated_documents(old, new):
    assert same_text(apply_ops(old, diff_paragraphs(old, new)), new, (old, new))


@SETTINGS
@given(documents)
def test_normalisation_is_idempotent(doc):
    once = normalize_paragraphs(doc)
    assert normalize_paragraphs(once) == once


inline_text = st.text(alphabet="0123456789.%年月底前万吨以上下降提高，。、 ABab“”十四五", max_size=40)


@SETTINGS
@given(inline_text, inline_text)
def test_inline_diff_round_trips_and_keeps_numbers_whole(old, new):
    spans = inline_diff(old, new)
    assert "".join(t for op, t in spans if op != "insert") == old
    assert "".join(t for op, t in spans if op != "delete") == new
    assert all(t for _, t in spans)
    assert all(a[0] != b[0] for a, b in zip(spans, spans[1:]))
    # never a span boundary between two digits of one number, on either side
    for side in ("insert", "delete"):
        pieces = [t for op, t in spans if op != side]
        for left, right in zip(pieces, pieces[1:]):
            assert not (left[-1].isdigit() and right[0].isdigit())
