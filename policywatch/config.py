"""The TOML config: a contract that users' deployment scripts write. Validated on load; unknown keys rejected.

Every error is one line that names the file and the key, e.g.
``policywatch.toml: portals[0].link_selectr: unknown key``.
"""
from __future__ import annotations

import os
import re
import tomllib
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DATABASE_ENV = "POLICYWATCH_DATABASE_URL"
FAMILIES = ("generic", "trs", "hanweb", "ucap", "govcn")
EVENT_KINDS = ("new", "revised", "formatting", "reverted", "withdrawn", "target_changed", "deadline_changed", "error")
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A config problem, already phrased as one line for the user."""


def parse_interval(value: str | int | float) -> float:
    """'90s', '30m', '1h', '2d' or a number of seconds -> seconds."""
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        m = _INTERVAL.match(str(value))
        if not m:
            raise ValueError(f"{value!r} is not a duration like '30m', '1h' or '2d'")
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if seconds <= 0:
        raise ValueError("must be positive")
    return seconds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortalConfig(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s/]+$")]
    start_urls: Annotated[list[str], Field(min_length=1)]
    family: Literal["generic", "trs", "hanweb", "ucap", "govcn"] | None = None
    link_selector: str | None = None
    body_selector: str | None = None
    title_selector: str | None = None
    interval: float = 3600.0
    max_pages: Annotated[int, Field(ge=1, le=1000)] = 3
    pagination: Literal["auto", "index_0based", "index_1based", "none"] | None = None
    delay: Annotated[float, Field(ge=0)] = 1.0
    concurrency: Annotated[int, Field(ge=1, le=32)] = 1
    obey_robots: bool = True
    max_requests: Annotated[int, Field(ge=1)] = 2000
    max_attachment_bytes: Annotated[int, Field(ge=0)] = 20_000_000
    max_bytes: Annotated[int, Field(ge=1000)] = 20_000_000
    timeout: float = 30.0

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, v: Any) -> float:
        return parse_interval(v)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, v: Any) -> float:
        return parse_interval(v)

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for u in urls:
            if not re.match(r"^https?://[^\s/]+", u):
                raise ValueError(f"{u!r} is not an http(s) URL")
        return urls


class SubscriptionConfig(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    urls: Annotated[list[str], Field(min_length=1)]
    portals: list[str] = []
    events: list[Literal["new", "revised", "formatting", "reverted", "withdrawn", "target_changed", "deadline_changed", "error"]] = []
    keywords: list[str] = []
    mode: str = "immediate"

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v in ("immediate", "digest") or re.fullmatch(r"daily@([01]\d|2[0-3]):[0-5]\d", v):
            return v
        raise ValueError("must be 'immediate', 'digest' or 'daily@HH:MM'")


class Config(_Strict):
    database_url: str | None = None
    base_url: str = "http://127.0.0.1:8080"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    token: str | None = None  # required by `serve` when it listens on anything but 127.0.0.1 (env POLICYWATCH_TOKEN)
    max_delivery_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    delivery_backoff: float = 60.0
    error_after_failures: Annotated[int, Field(ge=1)] = 3
    backfill_seconds: Annotated[float, Field(ge=0)] = 20.0
    withdraw_after: Annotated[int, Field(ge=1)] = 3
    timezone: str = "Asia/Shanghai"  # for daily digests (mode = "daily@HH:MM") and times shown in messages

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception:
            raise ValueError(f"{v!r} is not a time zone name like 'Asia/Shanghai'") from None
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
    portals: list[PortalConfig] = []
    subscriptions: list[SubscriptionConfig] = []

    @field_validator("delivery_backoff", mode="before")
    @classmethod
    def _backoff(cls, v: Any) -> float:
        return parse_interval(v)

    @field_validator("base_url")
    @classmethod
    def _base(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _cross_checks(self) -> "Config":
        names = [p.name for p in self.portals]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"portal name {dupes[0]!r} is used twice; names must be unique")
        sub_names = [s.name for s in self.subscriptions]
        dupes = sorted({n for n in sub_names if sub_names.count(n) > 1})
        if dupes:
            raise ValueError(f"subscription name {dupes[0]!r} is used twice; names must be unique")
        for i, sub in enumerate(self.subscriptions):
            for p in sub.portals:
                if p not in names:
                    raise ValueError(f"subscriptions[{i}].portals: no portal named {p!r}")
        return self

    def resolved_database_url(self) -> str:
        """Env POLICYWATCH_DATABASE_URL, then the config, then a file under the user's data dir."""
        env = os.environ.get(DATABASE_ENV)
        if env:
            return env
        if self.database_url:
            return self.database_url
        import platformdirs  # only for this default

        return "sqlite:///" + str(Path(platformdirs.user_data_dir("policywatch")) / "policywatch.db")

    def portal(self, name: str) -> PortalConfig:
        for p in self.portals:
            if p.name == name:
                return p
        raise ConfigError(f"no portal named {name!r} in the config (known: {', '.join(p.name for p in self.portals) or 'none'})")


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before", "function-plain") or str(part).startswith(("literal[", "function-")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_validation_error(source: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = _loc(tuple(err["loc"]))
    if err["type"] == "extra_forbidden":
        why = "unknown key"
    elif err["type"] == "missing":
        why = "required key is missing"
    else:
        why = err["msg"].removeprefix("Value error, ")
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    if not err["loc"]:  # a cross-field check names its keys itself
        return f"{source}: {why}{more}"
    return f"{source}: {where}: {why}{more}"


def load_config(path: str | os.PathLike[str]) -> Config:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{p}: config file not found (create one with 'policywatch init' or see README)") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: config is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return config_from_dict(data, source=str(p))


def config_from_dict(data: dict[str, Any], *, source: str = "config") -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None
