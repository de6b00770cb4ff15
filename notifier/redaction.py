"""Hiding secrets that live inside Apprise URLs.

Apprise URLs carry credentials in every part: DingTalk puts the robot token in
the host and the signing secret in the user part, WeCom the bot key in the
host, generic ``json://`` endpoints a password, and native webhook URLs an
``access_token`` query value. ``mask_url`` keeps what tells channels apart
(scheme, a real host name, port, harmless options) and replaces the rest with
``****``; ``scrub`` removes the same secrets from free text such as log lines.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import unquote

MASK = "****"

_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.S)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_HOSTNAME = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$")

#: Query keys whose values are Apprise options rather than credentials.
_SAFE_QUERY_KEYS = frozenset(
    {
        "format", "overflow", "emojis", "cto", "rto", "verify", "retry", "wait",
        "method", "mode", "priority", "image", "avatar", "tz", "lang", "store",
        "to", "cc", "bcc", "from", "name", "smtp", "port", "secure", "tag",
        "content", "footer", "batch", "discovery", "optional",
    }
)

#: ``key=value`` pairs in free text whose value is a credential.
_SECRET_PAIR = re.compile(
    r"(?i)\b((?:access_?token|token|key|secret|sign|signature|password|passwd|pass|"
    r"apikey|api_key|sendkey|webhook)=)([^&\s'\"<>]+)"
)
#: ``scheme://user:password@`` in free text.
_USERINFO = re.compile(r"(://[^/\s:@]*:)([^@\s/]+)(@)")


def _looks_secret(part: str) -> bool:
    """A path segment, user name or fragment that is probably a token or an id."""
    text = unquote(part)
    digits = sum(c.isdigit() for c in text)
    if len(text) >= 24:
        return True
    if len(text) >= 16 and digits:
        return True
    return digits >= 6  # phone numbers, chat ids, numeric keys


def _is_host_name(host: str) -> bool:
    """True for something an operator would recognise as a server, not a token."""
    return (
        host.lower() == "localhost"
        or bool(_IPV4.match(host))
        or (host.startswith("[") and host.endswith("]"))
        or bool(_HOSTNAME.match(host))
    )


def _split(url: str) -> tuple[str, str, str, str, str] | None:
    """(scheme, netloc, path, query, fragment) without urllib's port checks."""
    m = _SCHEME.match(url)
    if not m:
        return None
    scheme, rest = m.group(1), m.group(2).strip()
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    return scheme, netloc, slash + path, query, fragment


def _mask_netloc(netloc: str, found: list[str]) -> tuple[str, bool]:
    """Masked netloc, and whether the host was kept (a real host name)."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if not hostport.startswith("[") and hostport.count(":") == 1:
        host, port = hostport.split(":")
    elif hostport.startswith("[") and "]:" in hostport:
        host, port = hostport.rsplit(":", 1)
    if port and not port.isdigit():  # e.g. a Telegram "123:ABC" bot token
        host, port = hostport, ""
    # Tokens never come with a port, so a dotless host with one is a server name.
    keep_host = bool(host) and (_is_host_name(host) or bool(port))

    out_host = host if keep_host else (MASK if host else "")
    if not keep_host and host:
        found.append(host)
    out = out_host + (":" + port if port else "")
    if at:
        user, colon, password = userinfo.partition(":")
        if keep_host and user and not _looks_secret(user):
            out_user = user
        else:
            out_user = MASK if user else ""
            if user:
                found.append(user)
        if colon:
            found.append(password)
            out_user += ":" + MASK
        out = out_user + "@" + out
    return out, keep_host


def _mask(url: str) -> tuple[str, list[str]]:
    found: list[str] = []
    parts = _split(url)
    if parts is None:
        stripped = url.strip()
        if stripped:
            found.append(stripped)
        return MASK, found
    scheme, netloc, path, query, fragment = parts
    out_netloc, keep_host = _mask_netloc(netloc, found)

    segments = []
    for seg in path.split("/"):
        if seg and (not keep_host or _looks_secret(seg)):
            found.append(seg)
            seg = MASK
        segments.append(seg)
    out = f"{scheme}://{out_netloc}{'/'.join(segments)}"

    if query:
        pairs = []
        for pair in query.split("&"):
            key, eq, value = pair.partition("=")
            if eq and value and key.lower() not in _SAFE_QUERY_KEYS:
                found.append(value)
                value = MASK
            elif not eq and key and _looks_secret(key):
                found.append(key)
                key = MASK
            pairs.append(key + eq + value)
        out += "?" + "&".join(pairs)
    if fragment:
        if _looks_secret(fragment) or not keep_host:
            found.append(fragment)
            fragment = MASK
        out += "#" + fragment
    return out, found


def mask_url(url: str) -> str:
    """``url`` with credentials replaced by ``****``.

    Keeps the scheme, a recognisable host name (domain, IP, localhost) with its
    port, the user name on such hosts, short path segments and Apprise option
    values (``format``, ``cto``…). Masks passwords, hosts that are really
    tokens (``dingtalk://****@****``, ``wecombot://****``), long or numeric
    path segments, and every other query value (``?access_token=****``).
    A string without ``scheme://`` is masked entirely.
    """
    return _mask(url)[0]


def url_secrets(url: str) -> frozenset[str]:
    """The substrings of ``url`` that ``mask_url`` hides, raw and URL-decoded.

    Very short values (under 3 characters) are left out: replacing them in
    free text would mangle it without protecting anything.
    """
    out: set[str] = set()
    for value in _mask(url)[1]:
        for form in (value, unquote(value)):
            if len(form) >= 3:
                out.add(form)
    return frozenset(out)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` and any credential-looking pair masked.

    Besides the given secrets (longest first), masks ``token=…``-style query
    pairs and ``user:password@`` user parts wherever they appear.
    """
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + MASK, text)
    return _USERINFO.sub(lambda m: m.group(1) + MASK + m.group(3), text)


class _ScrubFilter(logging.Filter):
    """Rewrites records of one logger so they never carry active secrets.

    Installed on the ``apprise`` logger, it runs before any handler sees the
    record (Apprise's own capture, or handlers reached by propagation), and
    the rewritten record is what propagates.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: Counter[str] = Counter()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets.update(secrets)

    def remove(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets.subtract(secrets)
            self._secrets = +self._secrets  # drop zero counts

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            with self._lock:
                secrets = list(self._secrets)
            message = record.getMessage()
            clean = scrub(message, secrets)
            if clean != message:
                record.msg, record.args = clean, None
        except Exception:  # a log filter must never break the caller
            record.msg, record.args = "(log message withheld: could not be scrubbed)", None
        return True


_filters: dict[str, _ScrubFilter] = {}
_filters_lock = threading.Lock()


def _filter_for(logger_name: str) -> _ScrubFilter:
    with _filters_lock:
        filt = _filters.get(logger_name)
        if filt is None:
            filt = _filters[logger_name] = _ScrubFilter()
            logging.getLogger(logger_name).addFilter(filt)
        return filt


#: Loggers that see notification URLs: Apprise's own, and urllib3's request
#: log, which prints the full URL (DingTalk's ``?access_token=``) at DEBUG.
SENSITIVE_LOGGERS: tuple[str, ...] = ("apprise", "urllib3.connectionpool")


@contextmanager
def hidden_in_logs(
    secrets: Iterable[str], logger_names: Iterable[str] = SENSITIVE_LOGGERS
) -> Iterator[None]:
    """While active, records of the named loggers have ``secrets`` masked.

    The filters stay installed afterwards and keep masking ``token=…`` pairs
    and ``user:password@`` parts. Thread-safe: concurrent blocks each add
    their own secrets.
    """
    filters = [_filter_for(name) for name in logger_names]
    secrets = list(secrets)
    for filt in filters:
        filt.add(secrets)
    try:
        yield
    finally:
        for filt in filters:
            filt.remove(secrets)
