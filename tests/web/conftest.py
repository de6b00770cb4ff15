"""Fixtures for the web tests: one filled SQLite database per module (the pages only read), the real app on it."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import storage
from policywatch.config import config_from_dict
from policywatch.web.app import create_app

from .fill import fill

BASE_URL = "http://review.example.test:8080"
CONFIG = {
    "base_url": BASE_URL,
    "subscriptions": [
        {"name": "钢铁", "urls": ["json://127.0.0.1:9/hook"], "keywords": ["钢铁"]},
        {"name": "期限", "urls": ["json://127.0.0.1:9/hook"], "events": ["deadline_changed"]},
        {"name": "河南", "urls": ["json://127.0.0.1:9/hook"], "portals": ["henan-zcwj"]},
    ],
    "portals": [
        {"name": "jiaozuo-zcwj", "start_urls": ["http://127.0.0.1:9/jz/index.html"]},
        {"name": "henan-zcwj", "start_urls": ["http://127.0.0.1:9/hn/index.html"]},
        {"name": "zhengzhou-zcwj", "start_urls": ["http://127.0.0.1:9/zz/index.html"]},
    ],
}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """(engine, ids) for a database filled by ``fill``."""
    path = tmp_path_factory.mktemp("web") / "review.db"
    engine = storage.make_engine(f"sqlite:///{path}")
    storage.init_db(engine)
    ids = fill(engine)
    yield engine, ids
    engine.dispose()


@pytest.fixture(scope="module")
def config():
    return config_from_dict(CONFIG)


@pytest.fixture(scope="module")
def client(filled, config):
    engine, _ids = filled
    with TestClient(create_app(engine=engine, config=config)) as c:
        yield c


@pytest.fixture(scope="module")
def ids(filled):
    return filled[1]
