"""Start-up benchmark: the fixed cost every cron run pays before its first request.

Prints CPU (user+sys, child processes included) and wall time, medians over --repeat runs, of
  * `policywatch --help` (building the parser: no database, no Scrapy);
  * a steady cycle (`policywatch --config X run` against benchmarks/portalgen.py after a first crawl: one list
    page fetched, nothing new), which is almost all start-up (its crawl process included);
and which heavy libraries a steady cycle imports (Alembic, Apprise, FastAPI, Jinja2, uvicorn should not be).

Rerun: .venv/bin/python benchmarks/bench_startup.py [--docs 200] [--repeat 7]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = ROOT / ".venv/bin/python"
POLICYWATCH = ROOT / ".venv/bin/policywatch"
HEAVY = ("alembic", "apprise", "fastapi", "jinja2", "uvicorn")


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall s, CPU s of the process and its children, stderr) of one run; raises if it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    err = proc.stderr.read().decode(errors="replace")
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {err[-500:]}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, err


def control(base: str, path: str) -> dict:
    with urllib.request.urlopen(f"{base}/_control/{path}", timeout=30) as r:
        return json.loads(r.read())


def summary(runs: list[tuple[float, float, str]]) -> str:
    cpu, wall = [r[1] for r in runs], [r[0] for r in runs]
    return (f"CPU {statistics.median(cpu):.2f} s (min {min(cpu):.2f}), "
            f"wall {statistics.median(wall):.2f} s (min {min(wall):.2f})")


def main() -> int:
    ap = argparse.ArgumentParser(description="policywatch start-up benchmark")
    ap.add_argument("--docs", type=int, default=200, help="documents on the synthetic portal")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    print(f"policywatch start-up benchmark — medians of {args.repeat} runs")
    print(f"--help:          {summary([measure([str(POLICYWATCH), '--help']) for _ in range(args.repeat)])}")

    portal = subprocess.Popen([str(PYTHON), str(HERE / "portalgen.py"), "--docs", str(args.docs)],
                              stdout=subprocess.PIPE, text=True)
    try:
        start_url = portal.stdout.readline().strip()
        base = "/".join(start_url.split("/", 3)[:3])
        with tempfile.TemporaryDirectory(prefix="pw-startup-") as tmp:
            config = Path(tmp) / "pw.toml"
            config.write_text(
                f'database_url = "sqlite:///{Path(tmp) / "pw.db"}"\nbackfill_seconds = 0\n[[portals]]\n'
                f'name = "bench"\nstart_urls = ["{start_url}"]\nfamily = "trs"\nmax_pages = {args.docs // 20 + 5}\n'
                f'interval = "1s"\ndelay = 0\nconcurrency = 16\nobey_robots = false\n'
                f'max_requests = {args.docs * 2 + 100}\n', encoding="utf-8")
            run = [str(POLICYWATCH), "--config", str(config), "run"]
            measure(run)  # the first crawl (the baseline)
            steady = []
            for _ in range(args.repeat):
                time.sleep(1.1)  # the portal is due again (interval 1 s)
                control(base, "reset")
                steady.append(measure(run))
            requests = control(base, "stats")["requests"]
            print(f"steady cycle:    {summary(steady)}  ({args.docs} documents, {requests} request(s) per cycle)")
            time.sleep(1.1)
            _wall, _cpu, err = measure([str(PYTHON), "-X", "importtime", "-m", "policywatch", *run[1:]])
            loaded = sorted({line.rsplit("|", 1)[1].strip().split(".")[0] for line in err.splitlines()
                             if line.startswith("import time:") and "|" in line} & set(HEAVY))
            print(f"heavy libraries a steady cycle imports: {', '.join(loaded) or 'none'} (of {', '.join(HEAVY)})")
    finally:
        portal.terminate()
        portal.wait()
    print(f"rerun: .venv/bin/python benchmarks/bench_startup.py --docs {args.docs} --repeat {args.repeat}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
