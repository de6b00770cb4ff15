"""Notifier figures: message building per channel, and local delivery latency.

Run: .venv/bin/python benchmarks/bench_notifier.py
Prints milliseconds per build_message call (a 300-paragraph revision and a
100-event digest, for each channel family) and per send() to a webhook on
127.0.0.1 (ok, HTTP 500, refused port).
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifier.events import Event, ParagraphChange
from notifier.message import Message, build_message, message_size
from notifier.send import send

URLS = {
    "dingtalk (markdown, 19000 escaped B)": "dingtalk://0123456789abcdef/",
    "wecombot (text, 2048 B)": "wecombot://693a91f6-7aaa-4bc4-97a0-0ec2f1fa5aaa",
    "feishu (text, 19000 escaped B)": "feishu://2c5a4f1e",
    "mailtos (html, 64000 B)": "mailtos://u:p@smtp.example.com",
    "json (text, 16000 B)": "json://127.0.0.1:9/x",
}


def big_event(n: int, i: int = 0) -> Event:
    paras = []
    for k in range(n):
        old = "各地区要严格落实能耗双控目标责任，" * 5 + f"单位能耗下降{k % 30}%以上。"
        cut = old.index("下降") + 2
        paras.append(ParagraphChange("replace", old, old, (("equal", old[:cut]), ("delete", "3"), ("insert", "4"), ("equal", "%以上。"))))
    return Event(
        kind="revised", portal="国家发展改革委", title=f"关于印发节能减排综合工作方案的通知（{i}）",
        url="https://www.ndrc.gov.cn/xxgk/t1.html", review_url=f"https://pw.example.org/changes/{i}",
        detected_at=datetime(2024, 5, 6, tzinfo=timezone.utc), tags=frozenset({"revised", "target_changed"}),
        headlines=tuple(f"目标变更：指标{k} 下降 {k}% → {k + 1}%" for k in range(5)), paragraphs=tuple(paras),
    )


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs) * 1000


def main() -> None:
    single = [big_event(300)]
    digest = [big_event(10, i) for i in range(100)]
    print("build_message, median ms (size / limit):")
    for name, url in URLS.items():
        for label, events in (("1 event x 300 paragraphs", single), ("digest of 100 events", digest)):
            ms = timed(lambda: build_message(events, url=url), 5)
            msg = build_message(events, url=url)
            print(f"  {name:38s} {label:26s} {ms:8.1f} ms  ({message_size(msg, url)} B)")

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(500 if self.path == "/err" else 200)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    msg = Message("【修订】测试", "正文" * 500, "text")
    send(f"json://127.0.0.1:{port}/ok", msg)  # warm-up: Apprise loads its plugins
    print("send() to 127.0.0.1, median ms over 20:")
    for label, url in (("200 OK", f"json://127.0.0.1:{port}/ok"), ("HTTP 500", f"json://127.0.0.1:{port}/err"),
                       ("refused port", f"json://127.0.0.1:{dead}/x")):
        print(f"  {label:14s} {timed(lambda: send(url, msg, timeout=5), 20):6.1f} ms")
    server.shutdown()


if __name__ == "__main__":
    main()
