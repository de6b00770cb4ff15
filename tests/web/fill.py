"""A realistic review database, written through storage.repo the way ingest writes it: versions with commitments
from the real extractor, changes with the real paragraph diff and target comparison.

Contents (ids returned by ``fill``):
- portal "jiaozuo-zcwj": a plan revised twice (23% -> 20%, 2020年年底前 -> 2021年6月底前, an inserted clause that
  renumbers the next one, a moved paragraph, a deleted one, a full-width/half-width formatting edit), then a
  formatting-only revision; a notice that was withdrawn.
- portal "henan-zcwj": a hostile page (script tags, onerror=, a javascript: attachment link) that was revised.
- portal "zhengzhou-zcwj": failing for three polls, with fetch errors and a portal-level error change.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from diffing import diff_paragraphs, fingerprint, ops_to_json
from diffing.targets import TargetChange, compare_commitments, extract_commitments
from storage import repo

T0 = datetime(2026, 11, 2, 1, 30, tzinfo=timezone.utc)

PLAN_V1 = [
    "为深入贯彻落实省委省政府关于打赢污染防治攻坚战的决策部署，加快推进工业结构调整，结合我市实际，制定本方案。",
    "一、总体要求",
    "到2020年年底，全市规模以上企业单位工业增加值能耗比2015年下降23%以上，单位工业增加值用水量比2015年下降25%以上。",
    "二、主要任务",
    "（一）加快淘汰落后产能。2020年年底前全面淘汰退出达不到标准的落后产能，依法关停环保、能耗、安全等不达标企业。",
    "（二）推进绿色制造。建成绿色工厂30家以上，培育2家左右十亿级重点节能环保企业。",
    "各县（市）区人民政府要建立工作台账，定期向市工业结构调整领导小组办公室报送工作进展情况。",
    "（三）严控新增产能。严禁新增钢铁、电解铝、水泥、平板玻璃等行业产能。",
    "三、保障措施",
    "加强组织领导。成立市推进工业结构调整工作领导小组，统筹推进全市工业结构调整工作。",
    "本方案自2018年5月6日起施行。",
]

PLAN_V2 = [
    "为深入贯彻落实省委省政府关于打赢污染防治攻坚战的决策部署，加快推进工业结构调整，结合我市实际，制定本方案。",
    "一、总体要求",
    "到2020年年底，全市规模以上企业单位工业增加值能耗比2015年下降20%以上，单位工业增加值用水量比2015年下降25%以上。",
    "二、主要任务",
    "（一）加快淘汰落后产能。2021年6月底前全面淘汰退出达不到标准的落后产能，依法关停环保、能耗、安全等不达标企业。",
    "（二）实施清洁化改造。2021年底前完成全市钢铁行业超低排放改造。",
    "（三）推进绿色制造。建成绿色工厂30家以上，培育2家左右十亿级重点节能环保企业。",
    "（四）严控新增产能。严禁新增钢铁、电解铝、水泥、平板玻璃等行业产能。",
    "三、保障措施",
    "加强组织领导。成立市推进工业结构调整工作领导小组，统筹推进全市工业结构调整工作。",
    "各县（市）区人民政府要建立工作台账，定期向市工业结构调整领导小组办公室报送工作进展情况。",
    "本方案自２０１８年５月６日起施行。",
]

# the same text, with spacing and full-width digits only: a formatting revision
PLAN_V3 = [p.replace("2021年6月", "２０２１年６月").replace("，", "， ") if i == 4 else p for i, p in enumerate(PLAN_V2)]

HOSTILE_V1 = [
    "关于印发<script>window.__pwned = 'script';</script>工作要点的通知",
    '各有关单位：<img src="x" onerror="window.__pwned = \'onerror\'">现将工作要点印发给你们。',
    "到2025年，全省单位地区生产总值能耗比2020年下降13.5%。",
    '详见<a href="javascript:window.__pwned=\'link\'">附件</a>。',
]
HOSTILE_V2 = [
    HOSTILE_V1[0],
    HOSTILE_V1[1],
    "到2025年，全省单位地区生产总值能耗比2020年下降14%。<script>window.__pwned = 'diff';</script>",
    HOSTILE_V1[3],
]

NOTICE = ["关于开展2026年度工业节能监察工作的通知", "各县（市）区工业和信息化主管部门：现将有关事项通知如下。"]


def _version(s, doc, paragraphs, when, title, *, meta=None, attachments=None):
    commitments = extract_commitments(paragraphs)
    version = repo.add_version(
        session=s, document=doc, fetched_at=when, title=title, paragraphs=paragraphs,
        exact_hash=fingerprint(paragraphs, level="exact"), semantic_hash=fingerprint(paragraphs, level="semantic"),
        raw=("\n".join(paragraphs)).encode("utf-8"), meta=meta,
        commitments=[c.to_json() | {"paragraph": c.paragraph} for c in commitments], attachments=attachments,
    )
    return version, commitments


def _revise(s, portal, doc, prev_paragraphs, prev_commitments, paragraphs, when, title, **kw):
    """Store a new version and its change exactly as ingest does."""
    prev = repo.latest_version(session=s, document_id=doc.id)
    version, commitments = _version(s, doc, paragraphs, when, title, **kw)
    kind = "formatting" if prev.semantic_hash == version.semantic_hash else "revised"
    ops = ops_to_json(diff_paragraphs(prev_paragraphs, paragraphs))
    targets = _target_changes(prev_commitments, commitments) if kind == "revised" else []
    tags = {kind} | {"deadline_changed" if t.change == "deadline_changed" else "target_changed" for t in targets}
    change = repo.add_change(
        session=s, portal_id=portal.id, document_id=doc.id, kind=kind, from_seq=prev.seq, to_seq=version.seq,
        detected_at=when, ops=ops, targets=[t.to_json() for t in targets], events=sorted(tags),
        summary="\n".join(t.summary_zh() for t in targets),
    )
    return change, commitments


def _target_changes(old, new):
    """compare_commitments; while it is still being written (returns nothing), pair commitments by metric."""
    found = compare_commitments(old, new)
    if found:
        return found
    out = []
    for o in old:
        n = next((c for c in new if c.metric == o.metric and c.kind == o.kind), None)
        if n is not None and (o.value, o.unit) != (n.value, n.unit):
            out.append(TargetChange("value_changed", o.metric, o, n))
        elif n is not None and o.deadline != n.deadline and o.kind == "deadline":
            out.append(TargetChange("deadline_changed", o.metric, o, n))
    return out


def _new(s, portal, url, title, paragraphs, when, *, baseline=False, **kw):
    doc = repo.create_document(session=s, portal_id=portal.id, url=url, title=title, now=when)
    version, commitments = _version(s, doc, paragraphs, when, title, **kw)
    change = repo.add_change(session=s, portal_id=portal.id, document_id=doc.id, kind="new", to_seq=version.seq,
                             detected_at=when, baseline=baseline)
    doc.last_checked_at = when
    return doc, change, commitments


def fill(engine) -> dict[str, int]:
    """Fill an empty database; return the ids tests need."""
    import storage

    ids: dict[str, int] = {}
    with storage.session(engine) as s:
        jz = repo.get_or_create_portal(session=s, name="jiaozuo-zcwj", now=T0)
        jz.last_polled_at = jz.last_success_at = T0 + timedelta(days=20)
        hn = repo.get_or_create_portal(session=s, name="henan-zcwj", now=T0)
        hn.last_polled_at = hn.last_success_at = T0 + timedelta(days=19)
        zz = repo.get_or_create_portal(session=s, name="zhengzhou-zcwj", now=T0)
        zz.last_polled_at, zz.last_success_at = T0 + timedelta(days=20), T0 + timedelta(days=2)
        zz.failures_in_row, zz.last_error = 3, "列表页 http://127.0.0.1:9/zwgk/index.html：HTTP 503 Service Unavailable"

        title = "焦作市推进工业结构调整打赢污染防治攻坚战工作方案"
        meta = {"doc_number": "焦政办〔2018〕73号", "issuer": "焦作市人民政府办公室", "written": "2018-05-03",
                "published": "2018-05-06"}
        attachments = [{"url": "http://127.0.0.1/zwgk/P020180506.pdf", "name": "附件1：重点任务分工表.pdf",
                        "size": 183_296, "sha256": hashlib.sha256(b"pdf").hexdigest(), "text": "序号 任务 责任单位", "error": None}]
        plan, c_new, k1 = _new(s, jz, "http://127.0.0.1/zwgk/zcwj/201805/t20180506_73.html", title, PLAN_V1, T0,
                               baseline=True, meta=meta, attachments=attachments)
        c_rev, k2 = _revise(s, jz, plan, PLAN_V1, k1, PLAN_V2, T0 + timedelta(days=9, hours=6), title, meta=meta,
                            attachments=attachments)
        c_fmt, _ = _revise(s, jz, plan, PLAN_V2, k2, PLAN_V3, T0 + timedelta(days=15, hours=2), title, meta=meta,
                           attachments=attachments)
        notice, c_notice, _ = _new(s, jz, "http://127.0.0.1/zwgk/zcwj/202611/t20261105_9.html", NOTICE[0], NOTICE,
                                   T0 + timedelta(days=3), meta={"doc_number": "焦工信〔2026〕9号"})
        c_gone = repo.add_change(session=s, portal_id=jz.id, document_id=notice.id, kind="withdrawn", from_seq=1,
                                 detected_at=T0 + timedelta(days=18), summary="页面返回 404，已连续 3 次")
        notice.status = "withdrawn"

        hostile_title = "关于<script>window.__pwned='title'</script>的通知"
        bad_attachment = [{"url": "javascript:window.__pwned='attachment'", "name": "附件<b>1</b>.pdf", "size": None,
                           "sha256": None, "text": None, "error": None}]
        hostile, _c, hk1 = _new(s, hn, "http://127.0.0.1/henan/t20261101_1.html", hostile_title, HOSTILE_V1,
                                T0 + timedelta(days=1), attachments=bad_attachment)
        c_hostile, _ = _revise(s, hn, hostile, HOSTILE_V1, hk1, HOSTILE_V2, T0 + timedelta(days=10), hostile_title,
                               attachments=bad_attachment)

        repo.record_fetch_error(session=s, portal_id=zz.id, url="http://127.0.0.1:9/zwgk/index.html", stage="list",
                                kind="http", reason="HTTP 503 Service Unavailable", status=503,
                                fetched_at=T0 + timedelta(days=20))
        c_error = repo.add_change(session=s, portal_id=zz.id, kind="error", detected_at=T0 + timedelta(days=20),
                                  summary="门户 zhengzhou-zcwj 连续 3 次抓取失败：HTTP 503")
        s.commit()
        ids.update(plan=plan.id, notice=notice.id, hostile=hostile.id, new=c_new.id, revised=c_rev.id,
                   formatting=c_fmt.id, withdrawn=c_gone.id, hostile_change=c_hostile.id, error=c_error.id)
    return ids


if __name__ == "__main__":  # python -m tests.web.fill sqlite:////tmp/pwshot.db
    import sys

    import storage

    engine = storage.make_engine(sys.argv[1])
    storage.init_db(engine)
    print(fill(engine))
