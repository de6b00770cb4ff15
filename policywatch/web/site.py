"""What every page handler shares: the database, the config, the Jinja2 environment (autoescaping on), and
helpers for links and pagination."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

import storage

from . import labels

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
PER_PAGE = 50


def safe_href(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None: a scraped ``javascript:`` or ``data:`` link is shown as
    text, never made clickable."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    prev_url: str | None
    next_url: str | None


class Site:
    def __init__(self, *, engine: Engine, config: Any, token: str | None) -> None:
        self.engine = engine
        self.config = config
        self.token = token
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters.update(
            local_time=labels.local_time, local_date=labels.local_date, kind_label=labels.kind_label, doc_status=labels.doc_status,
            safe_href=safe_href, commitment_value=labels.commitment_value, target_line=labels.target_line,
        )
        env.globals.update(KIND_LABELS=labels.KIND_LABELS, COMMITMENT_KINDS=labels.COMMITMENT_KINDS)
        self.env = env

    def session(self) -> Session:
        return storage.session(self.engine)

    @property
    def base_url(self) -> str:
        return str(getattr(self.config, "base_url", "http://127.0.0.1:8080")).rstrip("/")

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def render(self, request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        html = self.env.get_template(name).render(root=root, request_path=request.url.path, **context)
        return HTMLResponse(html, status_code=status)


def query(request: Request, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None or '' removes a key), as '?a=1&b=2' or ''."""
    params = {k: v for k, v in request.query_params.items() if k != "token"}
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else ""


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def pager(request: Request, *, page: int, total: int, per_page: int = PER_PAGE) -> Pager:
    pages = max(1, math.ceil(total / per_page))
    path = request.url.path
    prev_url = path + query(request, page=page - 1 if page > 2 else None) if page > 1 else None
    next_url = path + query(request, page=page + 1) if page < pages else None
    return Pager(page, pages, total, prev_url, next_url)
