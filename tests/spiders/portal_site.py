"""A small synthetic TRS-style portal served by http.server on 127.0.0.1, with a request log.

Column /col/: two list pages (index.html -> index_1.html via createPageHTML), documents in the usual
./YYYYMM/tYYYYMMDD_id.html shape, and the awkward cases a real portal produces: a GBK page whose charset is
only in <meta>, a page whose HTTP charset is wrong, a 500, a 瑞数 412 challenge, a robots.txt-disallowed path,
a PDF served as text/html, an oversized page, a soft 404, a meta-refresh stub, a redirect, a slow page and a
page that answers conditional requests with 304.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

ROBOTS = "User-agent: *\nDisallow: /private/\n"

DOC_TEMPLATE = """<!DOCTYPE html>
<html><head><meta {meta}><title>{title} - 测试市人民政府</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date} 09:30">
<meta name="ContentSource" content="市政府办公室"></head>
<body><div class="header"><a href="/">首页</a> <a href="/col/index.html">政策文件</a></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; 政策文件</div>
<table class="xxgk"><tr><td>索 引 号：</td><td>11330000-{num}/2024-00{num}</td><td>发文机关：</td><td>测试市人民政府</td></tr>
<tr><td>文　　号：</td><td>测政发〔2024〕{num}号</td><td>成文日期：</td><td>{date}</td></tr></table>
<h1>{title}</h1><div class="info">浏览次数：<b id="view">123</b> 【打印本页】【关闭窗口】</div>
<div class="TRS_Editor"><style>.TRS_Editor p{{font-size:16px}}</style>
{body}
{attachment}
</div>
<div class="footer">网站标识码：3300000001 浙ICP备12345678号</div></body></html>
"""


def document(num: int, title: str, paragraphs: list[str], date: str = "2024-01-05",
             meta: str = 'charset="utf-8"', attachment: bool = True) -> str:
    body = "\n".join(f"<p>　　{p}</p>" for p in paragraphs)
    link = f'<p>附件：<a href="/col/202401/P020240105{num}.pdf">{title}附件.pdf</a></p>' if attachment else ""
    return DOC_TEMPLATE.format(num=num, title=title, date=date, body=body, meta=meta, attachment=link)


def list_page(items: list[tuple[str, str]], page: int, count: int) -> str:
    lis = "\n".join(f'<li><a href="{href}" title="{title}">{title[:12]}...</a><span>2024-01-05</span></li>'
                    for href, title in items)
    return f"""<html><head><meta charset="utf-8"><title>政策文件 - 测试市人民政府</title></head><body>
<div class="header"><ul class="nav"><li><a href="/index.html">首页</a></li>
<li><a href="/zwgk/202401/t20240101_98.html">导航栏里的一条文章形状的链接不应被收集</a></li></ul></div>
<div class="list"><ul>{lis}</ul></div>
<script>createPageHTML({count}, {page}, "index", "html");</script>
<div class="footer"><a href="/wzdt/index.html">网站地图</a> 浙ICP备12345678号</div></body></html>"""


GBK_TEXT = "朱镕基同志曾在此调研——节能降耗工作取得明显成效，单位工业增加值能耗下降23%以上。"
WRONG_HEADER_TEXT = "本页的HTTP字符集标注有误，正文实为GBK编码的中文：“十三五”期间完成目标任务。"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0
    handler: Callable[["Handler"], tuple[int, dict[str, str], bytes]] | None = None


def _html(text: str, **headers: str) -> Route:
    return Route(body=text.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8", **headers})


def build_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    page0 = [
        ("./202401/t20240105_1.html", "测试市人民政府关于印发节能减排工作方案的通知"),
        ("./202401/t20240106_2.html", "测试市人民政府关于加强节能降耗工作的意见（GBK页面）"),
        ("./202401/t20240104_13.html", "测试市人民政府关于字符集标注错误页面的通知"),
        ("./202401/t20240107_3.html", "测试市人民政府关于服务器错误页面的通知"),
        ("./202401/t20240108_4.html", "测试市人民政府关于反爬虫挑战页面的通知"),
        ("/private/202401/t20240109_5.html", "测试市人民政府关于禁止抓取路径的通知"),
        ("./202401/t20240110_7.html", "测试市人民政府关于二进制正文页面的通知"),
        ("./202401/t20240111_8.html", "测试市人民政府关于超大页面的通知"),
        ("./202401/t20240112_9.html", "测试市人民政府关于已删除页面的通知"),
        ("./202401/t20240113_10.html", "测试市人民政府关于跳转到上级目录页面的通知"),
        ("./202401/t20240114_11.html", "测试市人民政府关于已迁移页面的通知"),
        ("./202401/t20240115_12.html", "测试市人民政府关于响应很慢页面的通知"),
        ("./202401/t20240116_14.html", "测试市人民政府关于已经不存在页面的通知"),
        ("http://www.example.com/202401/t20240101_9.html", "外站链接：其他网站的一篇文章不应被抓取"),
    ]
    page1 = [
        ("./202401/t20240105_1.html", "测试市人民政府关于印发节能减排工作方案的通知"),
        ("./202312/t20231220_6.html", "测试市人民政府关于去年十二月工作安排的通知"),
        ("./202312/t20231221_15.html", "测试市人民政府关于没有附件的通知（GBK页面）"),
    ]
    routes["/robots.txt"] = Route(body=ROBOTS.encode(), headers={"Content-Type": "text/plain"})
    routes["/col/index.html"] = _html(list_page(page0, 0, 2))
    routes["/col/index_1.html"] = _html(list_page(page1, 1, 2))
    routes["/col/202401/t20240105_1.html"] = _html(document(
        1, "测试市人民政府关于印发节能减排工作方案的通知",
        ["各区人民政府，市政府各部门：", "到2025年，单位工业增加值能耗比2020年下降13.5%以上。",
         "本方案自印发之日起施行。"]), **{"Last-Modified": "Fri, 05 Jan 2024 01:30:00 GMT"})
    gbk = document(2, "测试市人民政府关于加强节能降耗工作的意见（GBK页面）", [GBK_TEXT, "二〇二四年一月六日"],
                   date="2024-01-06", meta='http-equiv="Content-Type" content="text/html; charset=gb2312"')
    routes["/col/202401/t20240106_2.html"] = Route(body=gbk.encode("gb18030"), headers={"Content-Type": "text/html"})
    wrong = document(13, "测试市人民政府关于字符集标注错误页面的通知", [WRONG_HEADER_TEXT],
                     meta='http-equiv="Content-Type" content="text/html; charset=gbk"')
    routes["/col/202401/t20240104_13.html"] = Route(body=wrong.encode("gb18030"),
                                                    headers={"Content-Type": "text/html; charset=utf-8"})
    plain = document(15, "测试市人民政府关于没有附件的通知（GBK页面）", [GBK_TEXT, "到2020年年底前完成。"],
                     date="2023-12-21", meta='http-equiv="Content-Type" content="text/html; charset=gb2312"',
                     attachment=False)
    routes["/col/202312/t20231221_15.html"] = Route(body=plain.encode("gb18030"), headers={"Content-Type": "text/html"})
    routes["/col/202401/t20240107_3.html"] = Route(status=500, body=b"<html><body>Internal Server Error</body></html>")
    routes["/col/202401/t20240108_4.html"] = Route(status=412, body=(
        b"<html><head><meta id=\"9DhefwqGPrzGxEp9hPaoag\" content=\"abc\">"
        b"<script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=12345;$_ts.cd=\"qwerty\";</script>"
        b"<script src=\"/abcdef/ghijk.js\" r=\"m\"></script></head><body></body></html>"))
    routes["/private/202401/t20240109_5.html"] = _html(document(5, "禁止抓取", ["不应被请求。"]))
    routes["/col/202401/t20240110_7.html"] = Route(body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20,
                                                   headers={"Content-Type": "text/html"})
    routes["/col/202401/t20240111_8.html"] = _html(document(8, "超大页面", ["很长的正文。" * 20000]))
    routes["/col/202401/t20240112_9.html"] = _html(
        "<html><head><title>提示信息</title></head><body><div class='msg'>对不起，您访问的页面不存在或已被删除！</div>"
        "<a href='/'>返回首页</a></body></html>")
    routes["/col/202401/t20240113_10.html"] = _html(
        "<html><head><meta http-equiv=\"refresh\" content=\"0;url=../\"></head><body></body></html>")
    routes["/col/202401/t20240114_11.html"] = Route(status=302, headers={"Location": "/col/202401/t20240114_11_new.html"})
    routes["/col/202401/t20240114_11_new.html"] = _html(document(
        11, "测试市人民政府关于已迁移页面的通知", ["本文已迁移到新地址，内容不变。"]))
    routes["/col/202401/t20240115_12.html"] = Route(delay=3.0, body=document(12, "慢", ["慢。"]).encode())

    def conditional(handler: "Handler") -> tuple[int, dict[str, str], bytes]:
        etag = '"v6"'
        if handler.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        body = document(6, "测试市人民政府关于去年十二月工作安排的通知", ["十二月工作安排如下。", "一、做好年终总结。"],
                        date="2023-12-20").encode()
        return 200, {"Content-Type": "text/html; charset=utf-8", "ETag": etag}, body

    routes["/col/202312/t20231220_6.html"] = Route(handler=conditional)
    return routes


class Handler(BaseHTTPRequestHandler):
    site: "PortalSite"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.site.log.append((self.path, dict(self.headers.items())))
        route = self.site.routes.get(self.path.split("?")[0])
        if route is None:
            status, headers, body = 404, {"Content-Type": "text/html"}, b"<html><body>404</body></html>"
        elif route.handler is not None:
            status, headers, body = route.handler(self)
        else:
            if route.delay:
                time.sleep(route.delay)
            status, headers, body = route.status, route.headers, route.body
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    # A deep accept queue: with the default of 5, a burst of concurrent connections on a busy machine can
    # have a SYN dropped and retried after 1 s, which the 1-second test timeouts report as a timeout.
    request_queue_size = 128


class PortalSite:
    """The synthetic portal on 127.0.0.1:<free port>; ``log`` lists (path, headers) of every request."""

    def __init__(self) -> None:
        self.routes = build_routes()
        self.log: list[tuple[str, dict[str, str]]] = []
        handler = type("BoundHandler", (Handler,), {"site": self})
        self.server = _Server(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [p for p, _ in self.log]

    def __enter__(self) -> "PortalSite":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
