"""A synthetic government portal for benchmarks: N policy documents on 127.0.0.1 in the TRS or Hanweb shape.

Pages are 30–60 KB like real portal pages (real Chinese policy text from the seeds, plus the usual chrome),
lists are paginated newest-first, every request is logged, ETag/Last-Modified are sent and conditional requests
answered with 304. Control endpoints (not counted in the log):
  /_control/revise?fraction=0.01&seed=1   revise that share of documents (one number edited in one paragraph)
  /_control/add?count=5                   publish new documents at the top of the lists
  /_control/stats                         {"requests": n, "bytes": n, "by_status": {...}, "revised": [ids]}
  /_control/reset                         zero the counters

Text: with ``--text distinct`` (the default) every document has its own text, as a real portal's documents do:
each paragraph is one to four of the seed texts' 294 sentences, drawn for that document (so a one-sentence
paragraph can recur in other documents, as stock sentences do on real portals). ``--text shared`` serves every
document a run of the same 117 seed paragraphs (what this generator did before): a store that keeps each distinct
paragraph once then stores almost nothing per document, which flatters its database size.

Run: python benchmarks/portalgen.py --docs 2000 --shape trs [--text distinct|shared]
     (prints the list URL, serves until killed)
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import sys
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).resolve().parent / "data"
PER_PAGE = 20
EPOCH = 1_600_000_000  # Last-Modified base


def _corpus() -> list[str]:
    paras: list[str] = []
    for name in ("001_287681968311ce01.txt", "003_8a6274789109dfc5.txt"):
        for line in (DATA / name).read_text("utf-8").splitlines():
            line = line.strip()
            if len(line) >= 20 and not line.startswith(("[", "当前位置", "放大字体", "核心提示")):
                paras.append(line)
    return paras


PARAS = _corpus()
SENTENCES = [s for p in PARAS for s in re.split(r"(?<=[。；！？])", p) if len(s) >= 8]
TEXTS = ("distinct", "shared")
NUM = re.compile(r"\d+(?:\.\d+)?%")
CHROME_TOP = """<div class="header"><div class="logo">示例省人民政府</div><ul class="nav">{nav}</ul></div>
<div class="search"><form action="/search"><input name="q"><button>搜索</button></form></div>"""
NAV = "".join(f'<li><a href="/col{i}/index.html">栏目{i}</a></li>' for i in range(40))
FOOTER = """<div class="footer"><p>主办：示例省人民政府办公厅 网站标识码：4100000001 豫ICP备00000000号 豫公网安备 41000002000001号</p>
<ul class="links">{links}</ul><script id="_jiucuo_" sitecode="4100000001" src="/exposure/jiucuo.js"></script></div>"""
LINKS = "".join(f'<li><a href="http://www.example{i}.gov.cn/">兄弟网站{i}</a></li>' for i in range(60))
STYLE = "<style>" + " ".join(f".c{i}{{margin:{i}px;padding:{i % 7}px;line-height:1.{i % 9}}}" for i in range(260)) + "</style>"


class Portal:
    def __init__(self, n: int, shape: str, text: str = "distinct") -> None:
        if text not in TEXTS:
            raise ValueError(f"text must be one of {TEXTS}, not {text!r}")
        self.n = n
        self.shape = shape
        self.text = text
        self.revision: dict[int, int] = {}  # doc id -> revision count
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0
        self.by_status: dict[str, int] = {}
        self.by_kind: dict[str, int] = {}

    # -- content ---------------------------------------------------------------------------------------------
    def title(self, i: int) -> str:
        return f"示例市关于印发第{i}号推进工业结构调整打赢污染防治攻坚战工作方案的通知"

    def date(self, i: int) -> tuple[str, str]:
        y, m, d = 2018 + (i * 7 // 365) % 8, 1 + (i * 3) % 12, 1 + i % 28
        return f"{y}{m:02d}", f"{y}{m:02d}{d:02d}"

    def doc_path(self, i: int) -> str:
        ym, ymd = self.date(i)
        if self.shape == "hanweb":
            return f"/art/{ym[:4]}/{int(ym[4:])}/{int(ymd[6:])}/art_123_{100000 + i}.html"
        return f"/zwgk/zcwj/{ym}/t{ymd}_{100000 + i}.html"

    def body_paragraphs(self, i: int) -> list[str]:
        rng = random.Random(i)
        count = rng.randint(40, 90)
        if self.text == "shared":
            start = rng.randrange(len(PARAS))
            paras = [PARAS[(start + k) % len(PARAS)] for k in range(count)]
        else:
            paras = ["".join(rng.sample(SENTENCES, rng.randint(1, 4))) for _ in range(count)]
        paras[0] = f"为贯彻落实有关部署，制定第{i}号工作方案。" + paras[0]
        rev = self.revision.get(i, 0)
        if rev:
            k = (i * 31 + rev) % len(paras)
            paras[k] = NUM.sub(lambda m: f"{int(float(m.group(0)[:-1])) + rev}%", paras[k], count=1) \
                if NUM.search(paras[k]) else paras[k] + f"（第{rev}次修订：完成率不低于{80 + rev}%）"
        return paras

    def document_html(self, i: int) -> str:
        e = html.escape
        paras = "\n".join(f'<p style="text-indent:2em;font-family:仿宋_GB2312">{e(p)}</p>' for p in self.body_paragraphs(i))
        ym, ymd = self.date(i)
        meta = (f'<table class="xxgk"><tr><td>索\u3000引\u3000号：</td><td>11410000/{ymd}-{i}</td><td>发文机关：</td>'
                f'<td>示例市人民政府</td></tr><tr><td>发文字号：</td><td>示政〔{ym[:4]}〕{i % 200}号</td><td>发布日期：</td>'
                f'<td>{ym[:4]}-{ym[4:]}-{ymd[6:]}</td></tr></table>')
        body_cls = 'div id="zoom" class="zoom"' if self.shape == "hanweb" else 'div class="TRS_Editor"'
        body_end = "div"
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(self.title(i))}</title>'
                f'<meta name="ArticleTitle" content="{e(self.title(i))}">{STYLE}</head><body>'
                + CHROME_TOP.format(nav=NAV) + meta + f'<h1>{e(self.title(i))}</h1><{body_cls}>{paras}</{body_end}>'
                f'<div class="tools">浏览次数：<span>{(i * 13) % 997}</span>【打印本页】【关闭窗口】</div>'
                + FOOTER.format(links=LINKS) + "</body></html>")

    def newest_first(self) -> list[int]:
        return list(range(self.n, 0, -1))

    def trs_list(self, page: int) -> str | None:
        ids = self.newest_first()
        pages = max(1, -(-len(ids) // PER_PAGE))
        if page >= pages:
            return None
        chunk = ids[page * PER_PAGE : (page + 1) * PER_PAGE]
        items = "".join(
            f'<li><a href=".{self.doc_path(i)[len("/zwgk/zcwj"):]}" title="{html.escape(self.title(i))}">'
            f'{html.escape(self.title(i))}</a><span>{self.date(i)[1]}</span></li>' for i in chunk)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件</title>{STYLE}</head><body>'
                + CHROME_TOP.format(nav=NAV) + f'<div class="list"><ul>{items}</ul></div>'
                f'<script>createPageHTML({pages}, {page}, "index", "html");</script>' + FOOTER.format(links=LINKS)
                + "</body></html>")

    def _records(self, ids: list[int]) -> str:
        return "".join(
            f'<record><![CDATA[<li><a href="{self.doc_path(i)}" title="{html.escape(self.title(i))}">'
            f'{html.escape(self.title(i)[:18])}...</a><b>{self.date(i)[1]}</b></li>]]></record>' for i in ids)

    def hanweb_column(self) -> str:
        ids = self.newest_first()[:PER_PAGE]
        nextgroup = ('<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=123'
                     '&unitid=456&webname=示例&permissiontype=0"></a>')
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件</title>{STYLE}</head><body>'
                + CHROME_TOP.format(nav=NAV) + '<div id="456"><script type="text/xml"><datastore>'
                f'<nextgroup><![CDATA[{nextgroup}]]></nextgroup><recordset>{self._records(ids)}</recordset>'
                f'</datastore></script></div>' + FOOTER.format(links=LINKS) + "</body></html>")

    def hanweb_proxy(self, q: dict[str, list[str]]) -> str:
        start = int(q.get("startrecord", ["1"])[0])
        end = int(q.get("endrecord", [str(start + PER_PAGE - 1)])[0])
        ids = self.newest_first()
        chunk = ids[start - 1 : end]
        return (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{len(ids)}</totalrecord>'
                f'<recordset>{self._records(chunk)}</recordset></datastore>')

    def route(self, path: str, query: dict[str, list[str]]) -> tuple[str, str] | None:
        if self.shape == "hanweb":
            if path == "/col/col123/index.html":
                return "list", self.hanweb_column()
            if path.endswith("dataproxy.jsp"):
                return "list", self.hanweb_proxy(query)
            m = re.fullmatch(r"/art/\d+/\d+/\d+/art_123_(\d+)\.html", path)
        else:
            m = re.fullmatch(r"/zwgk/zcwj/index(?:_(\d+))?\.html", path)
            if m:
                page = self.trs_list(int(m.group(1) or 0))
                return ("list", page) if page else None
            m = re.fullmatch(r"/zwgk/zcwj/\d{6}/t\d{8}_(\d+)\.html", path)
        if m:
            i = int(m.group(1)) - 100000
            if 1 <= i <= self.n:
                return "document", self.document_html(i)
        return None

    def start_url(self, base: str) -> str:
        return base + ("/col/col123/index.html" if self.shape == "hanweb" else "/zwgk/zcwj/index.html")


def make_handler(portal: Portal):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str], kind: str) -> None:
            if kind:
                with portal.lock:
                    portal.requests += 1
                    portal.bytes += len(body)
                    portal.by_status[str(status)] = portal.by_status.get(str(status), 0) + 1
                    portal.by_kind[kind] = portal.by_kind.get(kind, 0) + 1
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            q = parse_qs(parts.query)
            if parts.path.startswith("/_control/"):
                self._control(parts.path, q)
                return
            if parts.path == "/robots.txt":
                self._send(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}, "robots")
                return
            with portal.lock:
                found = portal.route(parts.path, q)
            if found is None:
                self._send(404, "页面不存在".encode(), {"Content-Type": "text/html; charset=utf-8"}, "missing")
                return
            kind, text = found
            body = text.encode("utf-8")
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", {"ETag": etag}, kind)
                return
            ctype = "text/xml; charset=utf-8" if parts.path.endswith(".jsp") else "text/html; charset=utf-8"
            self._send(200, body, {"Content-Type": ctype, "ETag": etag,
                                   "Last-Modified": formatdate(EPOCH, usegmt=True)}, kind)

        def _control(self, path: str, q: dict[str, list[str]]) -> None:
            with portal.lock:
                if path == "/_control/revise":
                    rng = random.Random(int(q.get("seed", ["1"])[0]))
                    k = max(1, round(portal.n * float(q.get("fraction", ["0.01"])[0])))
                    ids = rng.sample(range(1, portal.n + 1), k)
                    for i in ids:
                        portal.revision[i] = portal.revision.get(i, 0) + 1
                    out = {"revised": sorted(ids)}
                elif path == "/_control/add":
                    count = int(q.get("count", ["1"])[0])
                    portal.n += count
                    out = {"added": list(range(portal.n - count + 1, portal.n + 1))}
                elif path == "/_control/reset":
                    portal.requests = portal.bytes = 0
                    portal.by_status, portal.by_kind = {}, {}
                    out = {"ok": True}
                else:
                    out = {"requests": portal.requests, "bytes": portal.bytes, "by_status": portal.by_status,
                           "by_kind": portal.by_kind, "documents": portal.n}
            self._send(200, json.dumps(out).encode(), {"Content-Type": "application/json"}, "")

    return Handler


class PortalServer(ThreadingHTTPServer):
    # A web server's listen backlog (nginx asks for 511). With Python's default of 5, a crawler opening a dozen
    # connections at once overflowed it: the kernel dropped the extra connection attempts, and each of those
    # clients waited a second before trying again, in both tools' runs.
    request_queue_size = 128


def serve(n: int, shape: str, port: int = 0, text: str = "distinct") -> tuple[ThreadingHTTPServer, Portal]:
    portal = Portal(n, shape, text)
    httpd = PortalServer(("127.0.0.1", port), make_handler(portal))
    httpd.daemon_threads = True
    return httpd, portal


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--shape", choices=["trs", "hanweb"], default="trs")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--text", choices=TEXTS, default="distinct",
                    help="distinct: every document its own text (default); shared: runs of the same paragraphs")
    args = ap.parse_args()
    httpd, portal = serve(args.docs, args.shape, args.port, args.text)
    print(portal.start_url(f"http://127.0.0.1:{httpd.server_address[1]}"), flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
