"""`policywatch serve`: the review pages, Atom feeds and JSON API over the policywatch database.

Server-rendered (Jinja2, autoescaping on), one stylesheet and one small script served from /static, a strict
Content-Security-Policy, and an optional access token (required by the CLI when bound beyond loopback)."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .. import __version__
from . import api, feeds, pages, review
from .security import token_middleware
from .site import STATIC, Site

_MACHINE_PREFIXES = ("/api/", "/feeds/")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(_MACHINE_PREFIXES)


def create_app(*, engine: Engine, config: Any, token: str | None = None) -> FastAPI:
    """The web app over ``engine`` (tables must exist). ``config`` supplies ``base_url`` (absolute links in feeds
    and the API) and ``subscriptions`` (per-subscription feeds). With ``token``, every request except /static needs
    it (see ``security``)."""
    app = FastAPI(
        title="policywatch",
        version=__version__,
        description="只读接口：受监测的政策文件、版本、变更及其中的目标与期限。列表均分页（limit/offset）。",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    site = Site(engine=engine, config=config, token=token)
    app.state.site = site

    async def deny(request: Request) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "需要访问令牌（Authorization: Bearer … 或 ?token=…）"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return site.render(request, "login.html", status=401, nav="", path=request.url.path)

    app.middleware("http")(token_middleware(token, deny))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        message = exc.detail if _has_cjk(exc.detail) else None  # our own messages are Chinese; others are generic
        return site.render(request, "error.html", status=exc.status_code, nav="", status_code=exc.status_code,
                           message=message or ("页面不存在" if exc.status_code == 404 else "请求有误"))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
        return site.render(request, "error.html", status=400, nav="", status_code=400, message="地址中的参数有误")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.include_router(pages.router)
    app.include_router(review.router)
    app.include_router(feeds.router)
    app.include_router(api.router)
    return app


def _has_cjk(value: object) -> bool:
    return isinstance(value, str) and any("\u4e00" <= ch <= "\u9fff" for ch in value)
