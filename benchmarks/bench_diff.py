"""Benchmark: paragraph diff of a ~60,000-character plan with 10 scattered edits.

Builds the plan from the seed texts in tests/data/seeds (three seeds, repeated as chapters with their years
shifted so that no chapter duplicates another), applies 10 typical edits (number and deadline changes, a deleted
and an inserted clause, a moved paragraph, a clause insertion that renumbers its list, a split, a rewritten
sentence), then reports:

* the median time of ``diff_paragraphs`` (normalisation, alignment and the inline diff of every replaced pair);
* the same for a repeat run on an already-warm process (OpenCC loaded);
* the median time of a whole-document ``difflib`` character diff (autojunk off) and the ratio between the two.

Run:  .venv/bin/python benchmarks/bench_diff.py [--runs N]
"""
from __future__ import annotations

import argparse
import difflib
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diffing import diff_paragraphs  # noqa: E402
from diffing.align import _Aligner  # noqa: E402  (to time the normalisation step on its own)

SEEDS = ROOT / "tests" / "data" / "seeds"
TARGET_CHARS = 60_000


def seed_lines(name: str) -> list[str]:
    return [line.strip() for line in (SEEDS / name).read_text(encoding="utf-8").split("\n") if line.strip()]


def build_plan() -> list[str]:
    """Chapters made of the seeds' body paragraphs, years shifted per chapter, until ~60,000 characters."""
    bodies = [
        seed_lines("001_287681968311ce01.txt")[4:125],
        seed_lines("003_8a6274789109dfc5.txt")[:40],
        seed_lines("000_c08925d2c388e02d.txt")[:7],
    ]
    chinese_numerals = "一二三四五六七八九十"
    plan: list[str] = []
    chapter = 0
    while sum(map(len, plan)) < TARGET_CHARS:
        body = bodies[chapter % len(bodies)]
        shift = chapter // len(bodies)
        plan.append(f"第{chinese_numerals[chapter % 10]}篇 第{chapter + 1}部分")
        plan.extend(re.sub(r"20(\d\d)年", lambda m: f"20{int(m.group(1)) + shift:02d}年", p) for p in body)
        chapter += 1
    return plan


def apply_edits(plan: list[str]) -> tuple[list[str], list[str]]:
    """Ten edits spread over the document; returns (new plan, descriptions)."""
    new = list(plan)
    done: list[str] = []
    n = len(new)

    def find(start: int, pred) -> int:
        for k in range(start, n):
            if pred(new[k]):
                return k
        raise LookupError("no paragraph for edit")

    k = find(0, lambda p: "下降23%以上" in p)
    new[k] = new[k].replace("下降23%以上", "下降20%以上", 1)
    done.append(f"#{k} 23%→20%")
    k = find(n // 10, lambda p: "2020年年底前" in p or "2021年年底前" in p)
    new[k] = re.sub(r"(20\d\d)年年底前", lambda m: f"{int(m.group(1)) + 1}年6月底前", new[k], count=1)
    done.append(f"#{k} deadline moved")
    k = find(n // 5, lambda p: "不低于" in p and "%" in p)
    new[k] = re.sub(r"不低于(\d+)%", lambda m: f"不低于{int(m.group(1)) + 10}%", new[k], count=1)
    done.append(f"#{k} 不低于 +10%")
    k = find(3 * n // 10, lambda p: len(p) > 40)
    del new[k]
    done.append(f"#{k} deleted")
    k = find(2 * n // 5, lambda p: p.startswith("(5)"))
    new.insert(k + 1, "(6)严格执行“三线一单”生态环境分区管控要求,2021年6月底前完成全市重点行业建设项目环境准入清单编制。")
    done.append(f"#{k + 1} inserted")
    k = find(n // 2, lambda p: len(p) > 60)
    new.insert(k + 5, new.pop(k))
    done.append(f"#{k} moved 5 down")
    k = find(3 * n // 5, lambda p: p.startswith("①"))
    new.insert(k + 1, "②严禁以任何名义新增钢铁、电解铝、水泥、平板玻璃产能。")
    circled = "①②③④⑤⑥⑦⑧⑨⑩"
    j = k + 2
    while j < len(new) and new[j][:1] in circled[1:-1]:
        new[j] = circled[circled.index(new[j][0]) + 1] + new[j][1:]
        j += 1
    done.append(f"#{k + 1} clause inserted, {j - k - 2} items renumbered")
    k = find(7 * n // 10, lambda p: p.count("。") >= 2 and len(p) > 120)
    head, tail = new[k].split("。", 1)
    new[k:k + 1] = [head + "。", tail]
    done.append(f"#{k} split in two")
    k = find(4 * n // 5, lambda p: "万吨" in p or "%" in p)
    new[k] = re.sub(r"(\d+)(万吨|%)", lambda m: f"{int(m.group(1)) * 2}{m.group(2)}", new[k], count=1)
    done.append(f"#{k} quantity doubled")
    k = find(9 * n // 10, lambda p: "," in p and len(p) > 40)
    first, rest = new[k].split(",", 1)
    new[k] = first + ",进一步加大工作力度,确保按期完成各项目标任务," + rest
    done.append(f"#{k} sentence rewritten")
    return new, done


def median_ms(fn, runs: int) -> tuple[float, float, float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="timed runs of the paragraph diff (default 21)")
    parser.add_argument("--char-runs", type=int, default=3, help="timed runs of the whole-document char diff")
    args = parser.parse_args()

    old = build_plan()
    new, edits = apply_edits(old)
    chars = sum(map(len, old))
    print(f"plan: {len(old)} paragraphs, {chars:,} characters; revised: {len(new)} paragraphs, {sum(map(len, new)):,}")
    for line in edits:
        print("  edit", line)

    ops = diff_paragraphs(old, new)  # warm-up (loads OpenCC)
    summary: dict[str, int] = {}
    for op in ops:
        key = op.op + (f"/{op.kind}" if op.kind else "")
        summary[key] = summary.get(key, 0) + 1
    print("ops:", ", ".join(f"{k}={v}" for k, v in sorted(summary.items())))

    med, lo, hi = median_ms(lambda: diff_paragraphs(old, new), args.runs)
    norm, _, _ = median_ms(lambda: _Aligner(old, new), args.runs)
    print(f"diff_paragraphs (incl. inline diffs): median {med:.2f} ms (min {lo:.2f}, max {hi:.2f}) over {args.runs} runs")
    print(f"  of which normalising both versions (each distinct paragraph once): ~{norm:.2f} ms")

    a, b = "\n".join(old), "\n".join(new)
    cmed, clo, chi = median_ms(
        lambda: difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes(), args.char_runs
    )
    print(f"whole-document difflib char diff (autojunk=False): median {cmed:.1f} ms (min {clo:.1f}, max {chi:.1f}) "
          f"over {args.char_runs} runs")
    print(f"ratio: paragraph diff is {cmed / med:.0f}x faster")
    print("target <= 20 ms:", "met" if med <= 20 else "NOT met", f"(min {lo:.2f} ms; the median suffers when the machine is busy)")
    if hasattr(os, "getloadavg"):
        print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("rerun: .venv/bin/python benchmarks/bench_diff.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
