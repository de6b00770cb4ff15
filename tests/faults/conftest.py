"""Fixtures for the fault tests.

Scenarios: most tests here check the outcome of a few real `policywatch` processes (seconds each, mostly spent
importing or waiting on a timeout). Each module declares its scenarios with ``@scenario``; when the session
starts, the scenarios of the selected modules start together on a few threads, and a module's fixture waits for
its own. Tests then only look at the results. This keeps the suite's wall time near its CPU time on 2 cores.

Tests marked ``slow`` (they wait out a fixed 30 s product timeout several times) run only with
POLICYWATCH_SLOW_TESTS=1.
"""
from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from .scenarios import REGISTRY, key_of

SLOW = os.environ.get("POLICYWATCH_SLOW_TESTS") == "1"
WORKERS = 4  # scenarios spend much of their time waiting (a held lock, timeouts, a held request)

_selected_modules: set[str] = set()


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "slow(reason): waits out a fixed product timeout; runs with POLICYWATCH_SLOW_TESTS=1")


def pytest_collection_modifyitems(config, items) -> None:
    if SLOW:
        return
    for item in items:
        mark = item.get_closest_marker("slow")
        if mark is not None:
            why = mark.kwargs.get("reason") or (mark.args[0] if mark.args else "slow")
            item.add_marker(pytest.mark.skip(reason=f"{why} (set POLICYWATCH_SLOW_TESTS=1 to run)"))


def pytest_collection_finish(session) -> None:
    _selected_modules.update(item.module.__name__ for item in session.items if hasattr(item, "module"))


@pytest.fixture(scope="session")
def scenarios(request, tmp_path_factory):
    """``scenarios(fn)`` -> the results of scenario ``fn`` (started with the others at the first request). A
    PostgreSQL scenario without a PostgreSQL server gives ``{"unavailable": reason}``."""
    selected = sorted((k for k in REGISTRY if k.rsplit(".", 1)[0] in _selected_modules),
                      key=lambda k: -REGISTRY[k].seconds)
    postgres, unavailable = None, None
    if any(REGISTRY[k].postgres for k in selected):
        try:
            postgres = request.getfixturevalue("postgres")
        except pytest.fail.Exception as exc:  # required (CI) but missing: the PostgreSQL scenarios fail
            unavailable = f"FAIL: {exc}"
        except pytest.skip.Exception as exc:
            unavailable = str(exc)
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="scenario")
    futures: dict[str, Future] = {}

    def start(key: str) -> Future:
        if key not in futures:
            entry = REGISTRY[key]
            tmp = tmp_path_factory.mktemp(entry.fn.__name__)
            if not entry.postgres:
                futures[key] = pool.submit(entry.fn, tmp)
            elif postgres is None:
                futures[key] = pool.submit(lambda: {"unavailable": unavailable or "PostgreSQL not started"})
            else:
                futures[key] = pool.submit(entry.fn, tmp, postgres.new_database())
        return futures[key]

    for key in selected:
        start(key)

    def result(fn) -> dict:
        got = start(key_of(fn)).result(timeout=900)
        if "unavailable" in got:
            if got["unavailable"].startswith("FAIL: "):
                pytest.fail(got["unavailable"][6:])
            pytest.skip(got["unavailable"])
        return got

    yield result
    pool.shutdown(wait=True, cancel_futures=True)
