"""Crawl benchmark: policywatch against a synthetic portal on 127.0.0.1, optionally side by side with urlwatch.

Prints, for N documents: first crawl (documents/s, CPU seconds, peak RSS), a steady-state cycle with nothing changed
(requests, bytes, CPU), a cycle after 1% of documents were revised (the same, plus whether every revision was
found), and the database size. With --urlwatch it installs urlwatch into a temporary virtualenv, runs the same
crawl and steady-state cycle with one job per document URL, and prints the ratios. With --rounds R it then runs
R - 1 more first crawls of each tool on fresh databases, alternating which goes first, and prints every round's
speed ratio and their median: the machine's speed drifts from minute to minute, and one pair of runs can land on
either side of the other tool's.

The documents have distinct texts by default; ``--text shared`` serves every document runs of the same paragraphs
(see benchmarks/portalgen.py), as this benchmark did before: policywatch stores each distinct paragraph once, so
its database is then far smaller than it would be on a real portal.

Rerun: .venv/bin/python benchmarks/bench_crawl.py --docs 2000 [--shape trs|hanweb] [--text distinct|shared]
       [--urlwatch [--rounds 5]] [--tables]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class Portal:
    def __init__(self, docs: int, shape: str, text: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "portalgen.py"), "--docs", str(docs), "--shape", shape,
                                      "--text", text], stdout=subprocess.PIPE, text=True)
        self.start_url = self.proc.stdout.readline().strip()
        self.base = self.start_url.split("/", 3)[:3]
        self.base = "/".join(self.base)

    def control(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.base}/_control/{path}", timeout=30) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def _tree_rss_kb(pid: int) -> int:
    """Resident set size of a process and all its descendants, in KB (Linux /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def measure(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run a command; return wall seconds, CPU seconds (user+sys, its child processes included), the peak RSS in MB
    of its largest process (wait4) and the peak of the whole process tree's RSS (sampled every 0.1 s)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    peak = [0]
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    reader.join()
    sampler.join()
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "tree_rss_mb": peak[0] / 1024, "rc": proc.returncode, "stderr": "".join(err)[-2000:]}


def _count_documents(db: Path) -> int:
    """The documents stored in the policywatch database ``db``. The connection is closed at once: while one stays
    open, the last policywatch process to close the database does not fold its write-ahead log back in and delete it,
    so the next size measurement would count up to 4 MB of log as well."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM document").fetchone()[0]


def _pw_command(args: argparse.Namespace, portal: Portal, work: Path, name: str) -> list[str]:
    """`policywatch run` with a config of its own for the portal, on the database work/NAME.db."""
    config = work / f"{name}.toml"
    config.write_text(
        f'database_url = "sqlite:///{work / name}.db"\nbackfill_seconds = 0\n'
        "[[portals]]\n"
        f'name = "bench"\nstart_urls = ["{portal.start_url}"]\nfamily = "{args.shape}"\n'
        f'max_pages = {args.docs // 20 + 5}\ninterval = "1s"\ndelay = 0\nconcurrency = {args.concurrency}\n'
        f'obey_robots = false\nmax_requests = {args.docs * 2 + 100}\n',
        encoding="utf-8",
    )
    return [str(ROOT / ".venv/bin/policywatch"), "--config", str(config), "run"]


def policywatch(args: argparse.Namespace, portal: Portal, work: Path) -> dict:
    db = work / "pw.db"
    pw = _pw_command(args, portal, work, "pw")
    out: dict = {}
    portal.control("reset")
    first = measure(pw)
    stats = portal.control("stats")
    # the baseline's commitments are extracted after the crawl (on first need); export forces all of them now
    deferred = measure([*pw[:-1], "export", "--compact"]) if not args.first_only else {"cpu": float("nan")}
    # counted in the database: an export would extract the deferred commitments
    documents = _count_documents(db)
    out["first"] = first | {"requests": stats["requests"], "bytes": stats["bytes"], "documents": documents}
    out["deferred"] = deferred
    out["db_mb_first"] = db.stat().st_size / 1e6
    if args.first_only:
        return out
    time.sleep(1.2)
    portal.control("reset")
    steady = measure(pw)
    out["steady"] = steady | portal.control("stats")
    revised = portal.control(f"revise?fraction={args.revise}&seed=7")["revised"]
    time.sleep(1.2)
    portal.control("reset")
    forced = measure([*pw, "--force"])
    out["revised_cycle"] = forced | portal.control("stats")
    exported = json.loads(subprocess.run([*pw[:-1], "export", "--compact"], capture_output=True, text=True).stdout)
    found = {c["document_url"] for c in exported["changes"] if c["kind"] == "revised"}
    ids_found = {int(u.rsplit("_", 1)[1].split(".")[0]) - 100000 for u in found}
    out["revisions_expected"] = len(revised)
    out["revisions_found"] = len(ids_found & set(revised))
    out["false_changes"] = len(ids_found - set(revised))
    out["db_mb"] = db.stat().st_size / 1e6 + sum(p.stat().st_size for p in work.glob("pw.db-wal")) / 1e6
    if args.tables:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            out["tables"] = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC "
                                         "LIMIT 8").fetchall()
            out["free_pages"] = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return out


def _uw_command(args: argparse.Namespace, portal: Portal, work: Path, cache: Path) -> list[str]:
    """urlwatch (installed into work/uw-venv on first use) with one job per document URL and its cache at CACHE."""
    venv = work / "uw-venv"
    if not (venv / "bin/urlwatch").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", "urlwatch"], check=True)
    jobs, cfg = work / "urls.yaml", work / "urlwatch.yaml"
    if not jobs.exists():  # the same jobs for every round
        urls = [portal.base + path for path in _doc_paths(args.shape, args.docs)]
        jobs.write_text("\n---\n".join(f"url: {u}\nname: d{i}" for i, u in enumerate(urls)) + "\n", encoding="utf-8")
        cfg.write_text("report:\n  stdout: {enabled: false}\n  text: {details: false}\n", encoding="utf-8")
    return [str(venv / "bin/urlwatch"), "--urls", str(jobs), "--config", str(cfg), "--cache", str(cache)]


def urlwatch(args: argparse.Namespace, portal: Portal, work: Path) -> dict:
    cache = work / "cache.db"
    cmd = _uw_command(args, portal, work, cache)
    out: dict = {}
    portal.control("reset")
    out["first"] = measure(cmd) | portal.control("stats")
    portal.control("reset")
    out["steady"] = measure(cmd) | portal.control("stats")
    out["db_mb"] = cache.stat().st_size / 1e6
    return out


def first_crawl_rounds(args: argparse.Namespace, portal: Portal, work: Path) -> list[tuple[float, float]]:
    """``args.rounds - 1`` more first crawls of each tool on fresh databases, alternating which goes first (the
    machine's speed drifts over minutes, and a drift then favours neither); (policywatch, urlwatch) docs/s each."""
    pairs = []
    for k in range(1, args.rounds):
        speeds = {}
        for tool in ("urlwatch", "policywatch") if k % 2 else ("policywatch", "urlwatch"):
            portal.control("reset")
            if tool == "policywatch":
                cmd = _pw_command(args, portal, work, f"round{k}")
            else:
                cmd = _uw_command(args, portal, work, work / f"round{k}-cache.db")
            result = measure(cmd)
            if result["rc"] != 0:
                raise SystemExit(f"{tool} round {k} exited {result['rc']}: {result['stderr'][-500:]}")
            if tool == "policywatch":
                documents = _count_documents(work / f"round{k}.db")
            else:
                documents = args.docs  # as in the first round: urlwatch stores every answer
            speeds[tool] = documents / result["wall"]
        pairs.append((speeds["policywatch"], speeds["urlwatch"]))
    return pairs


def _doc_paths(shape: str, n: int) -> list[str]:
    """The paths of documents 1..n as benchmarks/portalgen.py serves them."""
    sys.path.insert(0, str(HERE))
    from portalgen import Portal as Gen

    gen = Gen(n, shape)
    return [gen.doc_path(i) for i in range(1, n + 1)]


def main() -> int:
    ap = argparse.ArgumentParser(description="policywatch crawl benchmark")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--shape", choices=["trs", "hanweb"], default="trs")
    ap.add_argument("--text", choices=["distinct", "shared"], default="distinct",
                    help="distinct: every document its own text; shared: runs of the same paragraphs (portalgen.py)")
    ap.add_argument("--concurrency", type=int, default=16, help="requests per host for policywatch (politeness off)")
    ap.add_argument("--revise", type=float, default=0.01)
    ap.add_argument("--urlwatch", action="store_true", help="also run urlwatch (installed into a temp virtualenv)")
    ap.add_argument("--first-only", action="store_true", help="measure the first crawl only (for large N)")
    ap.add_argument("--tables", action="store_true", help="also print the database's largest tables")
    ap.add_argument("--rounds", type=int, default=1,
                    help="with --urlwatch: first crawls of each tool, alternating, for the median speed ratio")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pw-bench-"))
    portal = Portal(args.docs, args.shape, args.text)
    try:
        pw = policywatch(args, portal, work)
        uw = urlwatch(args, portal, work) if args.urlwatch else None
        rounds = first_crawl_rounds(args, portal, work) if args.urlwatch else []
    finally:
        portal.stop()
    f = pw["first"]
    print(f"policywatch crawl benchmark — {args.docs} documents, {args.shape} shape, {args.text} texts, pages 30–60 KB, "
          "127.0.0.1")
    print(f"first crawl:   {f['documents']} documents in {f['wall']:.1f} s = {f['documents'] / f['wall']:.0f} docs/s, "
          f"CPU {f['cpu']:.1f} s, peak RSS {f['rss_mb']:.0f} MB (largest process; all processes together "
          f"{f['tree_rss_mb']:.0f} MB), {f['requests']} requests, {f['bytes'] / 1e6:.1f} MB")
    if args.first_only:
        print(f"database after the first crawl: {pw['db_mb_first']:.1f} MB")
        print(f"rerun: .venv/bin/python benchmarks/bench_crawl.py --docs {args.docs} --shape {args.shape} "
              f"--text {args.text} --first-only")
        shutil.rmtree(work, ignore_errors=True)
        return 0
    s, r = pw["steady"], pw["revised_cycle"]
    d = pw["deferred"]
    print(f"deferred commitment extraction of the baseline (done later, on first need or by each cycle's backfill): "
          f"CPU {d['cpu']:.1f} s")
    print(f"steady cycle:  {s['requests']} requests, {s['bytes'] / 1e3:.1f} KB, CPU {s['cpu']:.2f} s, wall {s['wall']:.1f} s "
          f"(by kind {s['by_kind']})")
    print(f"1% revised, run --force: {r['requests']} requests ({r['by_status']}), {r['bytes'] / 1e6:.2f} MB, "
          f"CPU {r['cpu']:.1f} s; revisions found {pw['revisions_found']}/{pw['revisions_expected']}, "
          f"false changes {pw['false_changes']}")
    print(f"database:      {pw['db_mb']:.1f} MB ({pw['db_mb'] * 1e3 / args.docs:.1f} KB/document)")
    if args.tables:
        print(f"  largest tables and indexes ({pw['free_pages']} free pages): "
              + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in pw["tables"]))
    for name, res in (("first", f), ("steady", s), ("revised", r)):
        if res["rc"] not in (0,):
            print(f"  note: {name} cycle exited {res['rc']}: {res['stderr'].strip().splitlines()[-1:]}")
    if uw:
        uf, us = uw["first"], uw["steady"]
        print(f"urlwatch first: {args.docs / uf['wall']:.0f} docs/s, CPU {uf['cpu']:.1f} s, peak RSS {uf['rss_mb']:.0f} MB "
              f"(all processes {uf['tree_rss_mb']:.0f} MB), "
              f"{uf['requests']} requests")
        print(f"urlwatch steady: {us['requests']} requests, {us['bytes'] / 1e3:.1f} KB, CPU {us['cpu']:.2f} s")
        print(f"urlwatch database: {uw['db_mb']:.1f} MB")
        print(f"ratios (policywatch / urlwatch): first-crawl speed {(f['documents'] / f['wall']) / (args.docs / uf['wall']):.2f}x, "
              f"steady requests {s['requests'] / max(1, us['requests']):.4f}, steady CPU {s['cpu'] / max(1e-9, us['cpu']):.2f}, "
              f"database {pw['db_mb'] / max(1e-9, uw['db_mb']):.3f}, first-crawl peak RSS (all processes) {f['tree_rss_mb'] / max(1e-9, uf['tree_rss_mb']):.2f}")
        print("  (steady bytes are response bodies: urlwatch's are empty 304s, policywatch's the one list page)")
        if rounds:
            pairs = [(f["documents"] / f["wall"], args.docs / uf["wall"]), *rounds]
            ratios = [p / u for p, u in pairs]
            print(f"first crawl, {len(pairs)} rounds (each tool on a fresh database, alternating which goes first): "
                  f"policywatch {', '.join(f'{p:.0f}' for p, _ in pairs)} docs/s; "
                  f"urlwatch {', '.join(f'{u:.0f}' for _, u in pairs)} docs/s")
            print(f"  speed ratio per round {', '.join(f'{r:.2f}' for r in ratios)}x; "
                  f"median {statistics.median(ratios):.2f}x")
    print(f"rerun: .venv/bin/python benchmarks/bench_crawl.py --docs {args.docs} --shape {args.shape} --text {args.text}"
          + (f" --urlwatch --rounds {args.rounds}" if args.urlwatch else "") + (" --tables" if args.tables else ""))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
