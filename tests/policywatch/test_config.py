"""The config contract: every mistake is one line naming the file and the key."""
from __future__ import annotations

import pytest

from policywatch.config import ConfigError, config_from_dict, load_config

PORTAL = {"name": "p", "start_urls": ["http://127.0.0.1/zcwj/index.html"]}


@pytest.mark.parametrize(
    "data, message",
    [
        ({"portals": [PORTAL | {"link_selectr": "a"}]}, "cfg: portals[0].link_selectr: unknown key"),
        ({"databse_url": "sqlite://"}, "cfg: databse_url: unknown key"),
        ({"portals": [{"start_urls": ["http://a/"]}]}, "cfg: portals[0].name: required key is missing"),
        ({"portals": [PORTAL | {"interval": "often"}]}, "cfg: portals[0].interval: 'often' is not a duration like '30m', '1h' or '2d'"),
        ({"portals": [PORTAL | {"start_urls": ["ftp://a/"]}]}, "cfg: portals[0].start_urls: 'ftp://a/' is not an http(s) URL"),
        ({"portals": [PORTAL, PORTAL]}, "cfg: portal name 'p' is used twice; names must be unique"),
        ({"subscriptions": [{"name": "s", "urls": ["json://x"], "portals": ["nope"]}]}, "cfg: subscriptions[0].portals: no portal named 'nope'"),
        ({"subscriptions": [{"name": "s", "urls": ["json://x"], "mode": "weekly"}]}, "cfg: subscriptions[0].mode: must be 'immediate', 'digest' or 'daily@HH:MM'"),
        ({"portals": [PORTAL | {"max_pages": 0}]}, "cfg: portals[0].max_pages: Input should be greater than or equal to 1"),
    ],
)
def test_errors_name_the_key(data, message):
    with pytest.raises(ConfigError) as exc:
        config_from_dict(data, source="cfg")
    assert str(exc.value) == message


def test_defaults_and_units():
    cfg = config_from_dict({"portals": [PORTAL | {"interval": "30m"}], "delivery_backoff": "2m"})
    assert cfg.portals[0].interval == 1800 and cfg.delivery_backoff == 120
    assert cfg.portals[0].delay == 1.0 and cfg.portals[0].obey_robots and cfg.portals[0].concurrency == 1
    assert cfg.base_url == "http://127.0.0.1:8080"


def test_env_overrides_database_url(monkeypatch):
    cfg = config_from_dict({"database_url": "sqlite:///a.db"})
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", "sqlite:///b.db")
    assert cfg.resolved_database_url() == "sqlite:///b.db"
    monkeypatch.delenv("POLICYWATCH_DATABASE_URL")
    assert cfg.resolved_database_url() == "sqlite:///a.db"
    assert config_from_dict({}).resolved_database_url().endswith("policywatch.db")


def test_file_problems_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"missing.toml: config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("portals = [", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.toml: not valid TOML"):
        load_config(bad)
