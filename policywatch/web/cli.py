"""`policywatch serve [--host 127.0.0.1] [--port 8080] [--token TOKEN]`."""
from __future__ import annotations

import argparse
import ipaddress
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def is_loopback(host: str) -> bool:
    """True for 'localhost' and loopback addresses (127.0.0.0/8, ::1); False for anything else, including
    0.0.0.0 and host names (which may resolve to any interface)."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_serve_parser(subparsers: argparse._SubParsersAction) -> None:
    c = subparsers.add_parser(
        "serve",
        help="web pages for reviewing changes and diffs, Atom feeds and a JSON API (127.0.0.1 by default)",
        description="Serve the review pages, feeds and API over the configured database. Bound beyond loopback, "
        "it requires an access token (--token, env POLICYWATCH_TOKEN, or the config's token).",
    )
    c.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    c.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    c.add_argument("--token", help="access token every request must carry (default: env POLICYWATCH_TOKEN)")
    c.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from ..cli import CliError, _engine, _load
    from .security import TOKEN_ENV, resolve_token

    if not 0 < args.port < 65536:
        raise CliError(f"--port {args.port}: not a TCP port")
    config = _load(args)
    token = resolve_token(args.token, config)
    if not is_loopback(args.host) and not token:
        raise CliError(f"refusing to serve on {args.host} without an access token: pass --token or set {TOKEN_ENV} "
                       f"(or bind {DEFAULT_HOST})")
    engine = _engine(config)

    import uvicorn

    from .app import create_app

    app = create_app(engine=engine, config=config, token=token)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"policywatch: 审阅页面 http://{shown}:{args.port}/ （Ctrl-C 停止）", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, server_header=False)
    return 0
