"""matches(): portal, event and keyword filters; formatting is opt-in."""

from __future__ import annotations

import pytest
from notify_samples import PORTAL, SAMPLES, event, target_event

from notifier.subscriptions import Subscription, matches

URL = ("json://127.0.0.1:9/x",)


def sub(**kw) -> Subscription:
    return Subscription(name="s", urls=URL, **kw)


def test_empty_filters_match_everything_but_formatting():
    everyone = sub()
    for name, ev in SAMPLES.items():
        assert matches(everyone, ev) is (name != "formatting"), name


def test_formatting_only_when_named():
    assert matches(sub(events=("formatting",)), SAMPLES["formatting"])
    assert not matches(sub(events=("revised", "new")), SAMPLES["formatting"])


def test_portal_filter():
    assert matches(sub(portals=(PORTAL,)), SAMPLES["revised"])
    assert not matches(sub(portals=("生态环境部",)), SAMPLES["revised"])
    assert not matches(sub(portals=("生态环境部",)), SAMPLES["error"])


def test_event_filter_uses_tags_and_kind():
    targets_only = sub(events=("target_changed",))
    assert matches(targets_only, SAMPLES["target"])
    assert not matches(targets_only, SAMPLES["deadline"])
    assert not matches(targets_only, SAMPLES["new"])
    assert matches(sub(events=("withdrawn", "error")), SAMPLES["error"])
    assert matches(sub(events=("revised",)), SAMPLES["deadline"])


@pytest.mark.parametrize(
    ("keyword", "found"),
    [
        ("能耗", True),
        ("ＰＭ２．５", True),  # full-width keyword, half-width text (NFKC)
        ("vocs", True),  # case fold
        ("碳达峰", True),  # text has a line break inside the word
        ("核电", False),
    ],
)
def test_keywords_after_normalisation(keyword, found):
    ev = event("new", text="单位工业增加值能耗下降；PM2.5浓度下降；VOCs排放；碳达\n峰行动")
    assert matches(sub(keywords=(keyword,)), ev) is found


def test_keyword_in_title_counts():
    ev = target_event(text="")
    assert matches(sub(keywords=("污染防治",)), ev)


def test_portal_events_skip_keyword_filter():
    kw = sub(keywords=("核电",))
    assert matches(kw, SAMPLES["error"]) and matches(kw, SAMPLES["baseline"])
    assert not matches(kw, SAMPLES["new"])


def test_all_filters_combine():
    s = sub(portals=(PORTAL,), events=("target_changed",), keywords=("能耗",))
    assert matches(s, SAMPLES["target"])
    assert not matches(s, target_event(text="", title="无关"))


@pytest.mark.parametrize("mode", ["immediate", "digest", "daily@08:30", "daily@23:59"])
def test_valid_modes(mode):
    assert sub(mode=mode).mode == mode


@pytest.mark.parametrize("mode", ["hourly", "daily@24:00", "daily@8:30", ""])
def test_invalid_modes_rejected(mode):
    with pytest.raises(ValueError):
        sub(mode=mode)


def test_config_lists_become_tuples():
    s = Subscription(name="s", urls=["json://a/b"], portals=[PORTAL], keywords="能耗")
    assert s.urls == ("json://a/b",) and s.portals == (PORTAL,) and s.keywords == ("能耗",)
    assert sub(mode="daily@07:05").daily_at == (7, 5)
