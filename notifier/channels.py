"""Which message format and size limit each Apprise channel gets.

Sources for the limits (checked against the Apprise 2.2.0 plugin sources in
``apprise/plugins/*.py`` and the vendors' robot documentation):

- ``dingtalk://`` sends ``msgtype=markdown`` when asked (plugins/dingtalk.py);
  "DingTalk rejects a request larger than 20000 bytes" (same file, comment on
  ``body_maxlen``). The request is ``json.dumps`` output, which escapes every
  Chinese character as ``\\uXXXX`` (6 bytes), so we count escaped bytes and keep
  1000 bytes for the envelope and the title that DingTalk repeats.
- ``wecombot://`` always posts ``msgtype=text`` (plugins/wecombot.py), whose
  ``content`` is "最长不超过2048个字节，必须是utf8编码"
  (https://work.weixin.qq.com/api/doc/90000/90136/91770). The bot's markdown
  type (4096 bytes) is not reachable through Apprise 2.2, and markdown sent as
  text would show raw ``**``/``~~``, so WeCom gets plain text. Apprise puts
  the title on the first line of ``content``, so the title counts.
- ``wechat://`` (WeCom application) also sends text limited to 2048 bytes
  (plugins/wechat.py ``body_maxlen``).
- ``feishu://``/``lark://`` post ``msg_type=text`` (plugins/feishu.py,
  plugins/lark.py; ``body_maxlen`` 19985, "documented to be 20K message
  sizes"), again JSON-escaped: plain text, 19000 escaped bytes.
- ``mailto://``/``mailtos://`` render HTML; mail has no practical limit, we
  stop at 64000 bytes so a digest stays readable.
- everything else gets plain text, at most 16000 bytes, or less when the
  Apprise plugin declares a smaller ``body_maxlen`` (Discord 2000, Telegram
  4096…). That limit is in characters; counting bytes is stricter.

A ``?format=markdown|html|text`` option in the URL overrides the format.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

FORMATS: tuple[str, ...] = ("markdown", "html", "text")
DEFAULT_LIMIT = 16000


@dataclass(frozen=True)
class Channel:
    """How a message for one Apprise URL must look.

    ``limit`` bounds ``size(title) + size("\\r\\n") + size(body)``, where
    ``size`` counts UTF-8 bytes, or JSON-escaped bytes when ``escaped``.
    """

    format: str
    limit: int
    escaped: bool = False

    def size(self, text: str) -> int:
        """Bytes ``text`` costs against ``limit`` on this channel."""
        if self.escaped:
            return len(json.dumps(text)) - 2
        return len(text.encode("utf-8"))


_KNOWN: dict[str, Channel] = {
    "dingtalk": Channel("markdown", 19000, escaped=True),
    "wecombot": Channel("text", 2048),
    "wechat": Channel("text", 2048),
    "feishu": Channel("text", 19000, escaped=True),
    "lark": Channel("text", 19000, escaped=True),
    "mailto": Channel("html", 64000),
    "mailtos": Channel("html", 64000),
    "json": Channel("text", DEFAULT_LIMIT),
    "jsons": Channel("text", DEFAULT_LIMIT),
    "form": Channel("text", DEFAULT_LIMIT),
    "forms": Channel("text", DEFAULT_LIMIT),
    "xml": Channel("text", DEFAULT_LIMIT),
    "xmls": Channel("text", DEFAULT_LIMIT),
}

#: Native webhook hosts Apprise maps onto the plugins above.
_NATIVE_HOSTS: dict[str, str] = {
    "oapi.dingtalk.com": "dingtalk",
    "qyapi.weixin.qq.com": "wecombot",
    "open.feishu.cn": "feishu",
    "open.larksuite.com": "lark",
}

_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://")


@lru_cache(maxsize=64)
def _plugin_maxlen(scheme: str) -> int | None:
    """``body_maxlen`` Apprise declares for ``scheme``, if it knows the scheme."""
    try:
        from apprise.manager_plugins import NotificationManager

        manager = NotificationManager()
        if scheme not in manager:
            return None
        value = int(getattr(manager[scheme], "body_maxlen", 0) or 0)
        return value if value > 0 else None
    except Exception:  # plugin discovery problems must not break messaging
        return None


def channel_for(url: str) -> Channel:
    """The Channel for an Apprise URL (unknown or malformed URLs get text)."""
    m = _SCHEME.match(url)
    scheme = m.group(1).lower() if m else ""
    if scheme in ("http", "https"):
        host = (urlsplit(url.strip()).hostname or "").lower()
        scheme = _NATIVE_HOSTS.get(host, scheme)
    channel = _KNOWN.get(scheme)
    if channel is None:
        maxlen = _plugin_maxlen(scheme) if scheme else None
        channel = Channel("text", min(DEFAULT_LIMIT, maxlen or DEFAULT_LIMIT))
    try:
        wanted = parse_qs(urlsplit(url.strip()).query).get("format", [""])[-1].lower()
    except ValueError:
        wanted = ""
    if wanted in FORMATS and wanted != channel.format:
        channel = Channel(wanted, channel.limit, channel.escaped)
    return channel


def channel_format(url: str) -> tuple[str, int]:
    """(format, limit in bytes) for messages sent to ``url``; see module doc."""
    channel = channel_for(url)
    return channel.format, channel.limit
