"""Delivering one message to one Apprise URL, with an honest, masked outcome."""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass

import apprise

from notifier.message import Message
from notifier.redaction import hidden_in_logs, mask_url, scrub, url_secrets

__all__ = ["NotifyError", "SendResult", "mask_url", "send", "validate_url"]

_FORMATS = {
    "markdown": apprise.NotifyFormat.MARKDOWN,
    "html": apprise.NotifyFormat.HTML,
    "text": apprise.NotifyFormat.TEXT,
}
_HTTP_STATUS = re.compile(r"error=(\d{3})\b")
_LOG_LINE = re.compile(r"^\S+ \S+ - ([A-Z ]+) - (.*)$")


class NotifyError(Exception):
    """A caller mistake (bad message or argument); its text never holds secrets."""


@dataclass(frozen=True)
class SendResult:
    """Outcome of one delivery; ``error`` is a one-line, masked reason or None."""

    ok: bool
    error: str | None


def _asset() -> apprise.AppriseAsset:
    return apprise.AppriseAsset(app_id="policywatch", app_desc="policywatch 政策变更提醒")


def _load(url: str) -> tuple[object | None, str]:
    """(Apprise plugin or None, masked reason Apprise gave for refusing ``url``)."""
    secrets = url_secrets(url)
    with hidden_in_logs(secrets), apprise.LogCapture(level=logging.DEBUG) as captured:
        plugin = apprise.Apprise.instantiate(url, asset=_asset())
    if plugin is not None:
        return plugin, ""
    reasons = [
        m.group(2).strip()
        for line in captured.getvalue().splitlines()
        if (m := _LOG_LINE.match(line)) and m.group(1) in ("WARNING", "ERROR")
    ]
    reason = scrub(reasons[-1], secrets) if reasons else ""
    return None, reason


def validate_url(url: str) -> str | None:
    """None if Apprise accepts ``url``, else a one-line reason with secrets masked."""
    if not isinstance(url, str) or not url.strip():
        return "empty Apprise URL"
    plugin, reason = _load(url.strip())
    if plugin is not None:
        return None
    text = f"invalid Apprise URL {mask_url(url)}"
    return f"{text}: {reason}" if reason else text


def _reason(result: object, target: str, timeout: float, secrets: frozenset[str]) -> str:
    """One line saying why a delivery failed, from Apprise's per-service result.

    Uses the service's WARNING+ entries and its DEBUG "Socket Exception" entry
    (other DEBUG entries echo the payload, whose scraped text must not be
    mistaken for a failure reason).
    """
    if getattr(result, "status", None) == apprise.AppriseResultStatus.TIMEOUT:
        return f"timeout: no answer from {target} within {timeout:g} s"
    warnings: list[str] = []
    sockets: list[str] = []
    for service in result:  # type: ignore[attr-defined]
        for entry in service.logs():
            if entry.level in ("WARNING", "ERROR", "CRITICAL"):
                warnings.append(entry.message)
            elif entry.message.startswith("Socket Exception"):
                sockets.append(entry.message)
    status = _HTTP_STATUS.search("\n".join(warnings))
    if status:
        return f"HTTP {status.group(1)} from {target}"
    lowered = "\n".join(sockets + warnings).lower()
    if "timed out" in lowered or "timeout" in lowered:
        return f"timeout: no answer from {target} within {timeout:g} s"
    if "proxyerror" in lowered or "unable to connect to proxy" in lowered:
        return f"proxy refused the connection to {target}"
    if "connection refused" in lowered:
        return f"connection refused by {target}"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "getaddrinfo" in lowered:
        return f"host not found for {target}"
    if warnings:
        detail = " ".join(warnings[-1].split())
        return scrub(f"{detail} ({target})", secrets)
    return f"delivery failed ({target})"


def send(url: str, message: Message, *, timeout: float = 10.0) -> SendResult:
    """Deliver ``message`` to ``url`` through a fresh Apprise object.

    Never raises for delivery problems: an URL Apprise cannot parse, HTTP
    errors, refused connections and timeouts all come back as
    ``SendResult(False, reason)``, the reason one line with secrets masked.
    Each network wait is bounded by ``timeout`` seconds (the plugin's connect
    and read timeouts are lowered to it), and so is the whole call, retries
    included. Success is Apprise's per-service verdict. While sending, the
    ``apprise`` logger masks this URL's secrets in every record it emits.

    Raises NotifyError only for caller mistakes: a non-positive or non-finite
    ``timeout`` or an unknown ``message.format``.
    """
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        raise NotifyError(f"timeout must be a positive number of seconds, got {timeout!r}")
    body_format = _FORMATS.get(getattr(message, "format", None))
    if body_format is None:
        raise NotifyError(f"unknown message format {getattr(message, 'format', None)!r}")

    url = url.strip() if isinstance(url, str) else ""
    target = mask_url(url)
    plugin, reason = _load(url)
    if plugin is None:
        text = f"invalid Apprise URL {target}"
        return SendResult(False, f"{text}: {reason}" if reason else text)

    for attr in ("socket_connect_timeout", "socket_read_timeout"):
        current = getattr(plugin, attr, None)
        if not isinstance(current, (int, float)) or current <= 0 or current > timeout:
            setattr(plugin, attr, float(timeout))

    secrets = url_secrets(url)
    notifier = apprise.Apprise(asset=_asset())
    notifier.add(plugin)
    started = time.monotonic()
    try:
        # LogCapture lowers the apprise logger to DEBUG so that the per-service
        # result (log_level=DEBUG) also records the socket exception.
        with hidden_in_logs(secrets), apprise.LogCapture(level=logging.DEBUG):
            result = notifier.notify(
                body=message.body,
                title=message.title,
                body_format=body_format,
                timeout=timeout,
                log_level=logging.DEBUG,
            )
    except Exception as exc:  # Apprise promises not to raise; stay safe if it does
        name = type(exc).__name__
        return SendResult(False, scrub(f"{name} while sending to {target}", secrets))

    if result and all(bool(service) for service in result):
        return SendResult(True, None)
    reason = _reason(result, target, timeout, secrets)
    elapsed = time.monotonic() - started
    if reason.startswith("timeout") and elapsed > timeout * 1.5:
        reason += f" (gave up after {elapsed:.1f} s)"
    return SendResult(False, " ".join(reason.split()))
