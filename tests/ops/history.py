"""A small but complete database history written through the storage API: two portals (one failing), documents
with several versions that share paragraphs and raw bodies, changes, and deliveries in every state."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import storage
from storage import Run, repo

T0 = datetime(2026, 11, 20, 8, 0, 0, 123456, tzinfo=timezone.utc)
HOOK = "json://127.0.0.1:9/hook?token=abcdef123"
BOT = "dingtalk://SECabc123@0123456789abcdef0123456789"
SUBSCRIPTIONS = [{"name": "能源组", "urls": [HOOK, BOT]}]

PARAS_V1 = [
    "各县（市、区）人民政府，市人民政府各部门：",
    "到2020年底，全市单位工业增加值能耗比2015年下降23%以上。",
    "2020年年底前全面淘汰退出落后产能。",
]
PARAS_V2 = [PARAS_V1[0], "到2020年底，全市单位工业增加值能耗比2015年下降20%以上。", PARAS_V1[2],
            "各地每季度末报送工作进展。"]
PARAS_OTHER = ["关于开展清洁生产审核工作的通知", PARAS_V1[0], "一、2021年9月底前完成审核。"]


def page(paragraphs: list[str]) -> bytes:
    """A raw response body holding the paragraphs (stored as a skeleton that refers to the paragraph rows)."""
    return (f"<html><head><title>河南省人民政府</title></head><body>{NAV}<div class='nav'>首页 &gt; 政策文件</div>"
            + "".join(f"<p>{p}</p>" for p in paragraphs)
            + "<div class='footer'>网站标识码 4101000001 豫ICP备05016000号</div></body></html>").encode("utf-8")


# a page template's worth of links, as every real page has around its text (what a revision's body shares)
NAV = "<ul class='menu'>" + "".join(f"<li><a href='/zwgk/{k}/'>{name}</a></li>" for k, name in enumerate(
    ["首页", "政务公开", "政策文件", "政府信息公开", "政务服务", "互动交流", "走进河南", "专题专栏"])) + "</ul>"


COMMITMENT = {"kind": "target", "metric": "单位工业增加值能耗", "value": 23.0, "unit": "%", "qualifier": "以上",
              "deadline": "2020-12-31", "deadline_text": "到2020年底", "paragraph": 1}


def build(engine) -> dict[str, int]:
    """Write the history; returns a few ids the tests need."""
    with storage.session(engine) as s:
        good = repo.get_or_create_portal(session=s, name="河南省政府文件", now=T0)
        bad = repo.get_or_create_portal(session=s, name="重庆市政府文件", now=T0)
        good.last_polled_at = good.last_success_at = T0 + timedelta(hours=1)
        good.baseline_done = True
        bad.last_polled_at = T0 + timedelta(hours=1)
        bad.failures_in_row, bad.last_error = 3, "list page http://www.cq.gov.cn/zwgk/: HTTP 412 (challenge page)"
        s.add_all([good, bad])

        doc = repo.create_document(session=s, portal_id=good.id, url="https://www.henan.gov.cn/2021/06-19/1.html",
                                   title="郑州市推进工业结构调整打赢污染防治攻坚战工作方案", now=T0)
        meta = {"doc_number": "郑政办〔2018〕63号", "issuer": "郑州市人民政府办公厅", "published": "2021-06-19"}
        v1 = repo.add_version(session=s, document=doc, fetched_at=T0, title=doc.title, paragraphs=PARAS_V1,
                              exact_hash="e1", semantic_hash="s1", raw=page(PARAS_V1), encoding="utf-8", meta=meta,
                              commitments=[COMMITMENT])
        v2 = repo.add_version(session=s, document=doc, fetched_at=T0 + timedelta(hours=1), title=doc.title,
                              paragraphs=PARAS_V2, exact_hash="e2", semantic_hash="s2", raw=page(PARAS_V2),
                              encoding="utf-8", meta=meta | {"issuer": "郑州市人民政府"},
                              commitments=[COMMITMENT | {"value": 20.0}])
        doc.last_checked_at = T0 + timedelta(hours=1)
        other = repo.create_document(session=s, portal_id=good.id, url="https://www.henan.gov.cn/2021/07-05/2.html",
                                     title="关于开展清洁生产审核工作的通知", now=T0)
        # the same bytes as v1 (content-addressed: one blob, whose skeleton refers to v1's paragraphs) read with
        # other paragraphs — as after an extractor upgrade
        v3 = repo.add_version(session=s, document=other, fetched_at=T0, title=other.title, paragraphs=PARAS_OTHER,
                              exact_hash="e3", semantic_hash="s3", raw=page(PARAS_V1), encoding="utf-8")
        s.add_all([doc, other])

        c1 = repo.add_change(session=s, portal_id=good.id, document_id=doc.id, kind="new", to_seq=1, detected_at=T0,
                             baseline=True)
        c2 = repo.add_change(session=s, portal_id=good.id, document_id=other.id, kind="new", to_seq=1, detected_at=T0,
                             baseline=True)
        c3 = repo.add_change(
            session=s, portal_id=good.id, document_id=doc.id, kind="revised", from_seq=1, to_seq=2,
            detected_at=T0 + timedelta(hours=1), summary="目标 单位工业增加值能耗 23% → 20%",
            ops=[{"op": "replace", "old": PARAS_V1[1], "new": PARAS_V2[1], "spans": [["equal", "到2020年底"],
                 ["delete", "23%"], ["insert", "20%"]]}, {"op": "insert", "old": None, "new": PARAS_V2[3]}],
            targets=[{"change": "value_changed", "metric": "单位工业增加值能耗", "old": 23.0, "new": 20.0}],
            events=["revised", "target_changed"],
        )
        sent = repo.enqueue_delivery(session=s, subscription="能源组", url=HOOK, dedup_key=f"change:{c3.id}",
                                     change_ids=[c3.id], now=T0 + timedelta(hours=1))
        sent.status, sent.attempts, sent.sent_at = "sent", 1, T0 + timedelta(hours=1, seconds=5)
        failed = repo.enqueue_delivery(session=s, subscription="能源组", url=BOT, dedup_key=f"change:{c3.id}",
                                       change_ids=[c3.id], now=T0 + timedelta(hours=1))
        failed.status, failed.attempts, failed.last_error = "failed", 8, "HTTP 500 from dingtalk"
        repo.enqueue_delivery(session=s, subscription="能源组", url=HOOK, dedup_key=f"baseline:{good.id}",
                              change_ids=[c1.id, c2.id], now=T0 + timedelta(hours=1),
                              note={"kind": "baseline", "portal": good.name, "url": doc.url, "detail": "已建立基线"})
        repo.add_to_digest(session=s, subscription="能源组", url=BOT, dedup_key="digest:digest:1", change_id=c3.id,
                           now=T0 + timedelta(hours=1))
        repo.close_digests(session=s, now=T0 + timedelta(hours=1))  # pending: still to be sent
        s.add_all([sent, failed])
        s.add(Run(started_at=T0, finished_at=T0 + timedelta(minutes=2), ok=True, stats={"河南省政府文件": {"new": 2}}))
        s.commit()
        return {"doc": doc.id, "other": other.id, "v1": v1.id, "v2": v2.id, "v3": v3.id}


def normalised(export: dict) -> dict:
    """An export without what an import cannot keep: ids (change ids become positions) and raw-body hashes."""
    position = {c["id"]: i for i, c in enumerate(export["changes"])}
    out = {"portals": export["portals"], "documents": [], "changes": [], "deliveries": []}
    for d in export["documents"]:
        out["documents"].append(d | {"versions": [v | {"raw_sha256": None} for v in d["versions"]]})
    for c in export["changes"]:
        out["changes"].append({k: v for k, v in c.items() if k != "id"})
    for d in export["deliveries"]:
        out["deliveries"].append({k: v for k, v in d.items() if k != "id"} | {
            "change_id": position.get(d["change_id"]), "change_ids": [position[i] for i in d["change_ids"]]})
    return out
