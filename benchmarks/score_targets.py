"""Score the targets extractor against gold labels (tests/data/labels/SCHEMA.md, "How the labels are used").

    .venv/bin/python benchmarks/score_targets.py [--labels DIR] [--seeds DIR] [-v]

For every `<stem>.json` in the labels folder, `<stem>.txt` in the seeds folder is split into paragraphs (one a
line) and run through `diffing.targets.extract_commitments`. A prediction matches a gold entry when

  1. both have the same kind (target or deadline);
  2. their quotes overlap in the seed text (at least one character in common, by position);
  3. metric: the longest common subsequence (LCS) of the two metrics, compared character by character after
     Traditional→Simplified conversion and removing whitespace and punctuation, covers >= 50% of the gold
     metric's characters and >= 15% of the predicted metric's characters (so a metric that is a whole
     paragraph does not match everything);
  4. targets: value equal and unit equal (after the same normalisation); deadlines: ISO date equal
     (both null counts as equal).

Pairs are matched one to one (maximum bipartite matching). Recall counts gold target and deadline entries.
Precision counts predicted target and deadline entries, except a prediction that matches a gold threshold by
rules 2 and 4 (value/unit); predicted thresholds are neither required nor penalised. Deadline accuracy: among
matched targets, the share whose deadline equals the gold one (any date counts where the gold has none).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from diffing.targets import extract_commitments  # noqa: E402
from diffing.targets_compare import lcs, norm_metric  # noqa: E402

RULES = __doc__.split("A prediction matches a gold entry when", 1)[1]


def metric_ok(gold: str, pred: str) -> bool:
    g, p = norm_metric(gold), norm_metric(pred)
    if not g or not p:
        return False
    n = lcs(g, p)
    return n >= 0.5 * len(g) and n >= 0.15 * len(p)


def _spans(text: str, quote: str) -> list[tuple[int, int]]:
    out, i = [], text.find(quote)
    while i >= 0 and quote:
        out.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    return out


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(x0 < y1 and y0 < x1 for x0, x1 in a for y0, y1 in b)


def _value_unit_ok(g: dict, p: dict) -> bool:
    if g["value"] is None or p["value"] is None:
        return False
    return abs(float(g["value"]) - float(p["value"])) < 1e-9 and norm_metric(g["unit"]) == norm_metric(p["unit"])


def _match(golds: list[dict], preds: list[dict], ok) -> dict[int, int]:
    """Maximum bipartite matching: returns {pred index: gold index}."""
    adj = {i: [j for j, g in enumerate(golds) if ok(g, p)] for i, p in enumerate(preds)}
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in adj[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in adj:
        augment(i, set())
    return {i: j for j, i in owner.items()}


def score_file(text: str, gold: list[dict]) -> dict:
    paragraphs = text.split("\n")
    offsets, pos = [], 0
    for p in paragraphs:
        offsets.append(pos)
        pos += len(p) + 1
    preds: list[dict] = []
    for c in extract_commitments(paragraphs):
        d = c.to_json()
        i = paragraphs[c.paragraph].find(c.quote)
        d["_spans"] = [(offsets[c.paragraph] + i, offsets[c.paragraph] + i + len(c.quote))] if i >= 0 else []
        preds.append(d)
    for g in gold:
        g["_spans"] = _spans(text, g["quote"])

    def ok(g: dict, p: dict) -> bool:
        if g["kind"] != p["kind"] or not _overlap(g["_spans"], p["_spans"]):
            return False
        if not metric_ok(g["metric"], p["metric"]):
            return False
        if g["kind"] == "target":
            return _value_unit_ok(g, p)
        return g["deadline"] == p["deadline"]

    res: dict = {"preds": preds, "gold": gold}
    for kind in ("target", "deadline"):
        gk = [g for g in gold if g["kind"] == kind]
        pk = [p for p in preds if p["kind"] == kind]
        m = _match(gk, pk, ok)
        thresholds = [g for g in gold if g["kind"] == "threshold"]
        excused = {i for i, p in enumerate(pk) if i not in m and any(
            _overlap(t["_spans"], p["_spans"]) and _value_unit_ok(t, p) for t in thresholds)}
        res[kind] = {
            "tp": len(m), "gold": len(gk), "pred": len(pk) - len(excused),
            "fp": [pk[i] for i in range(len(pk)) if i not in m and i not in excused],
            "fn": [gk[j] for j in range(len(gk)) if j not in set(m.values())],
            "pairs": [(pk[i], gk[j]) for i, j in m.items()],
        }
    pairs = res["target"]["pairs"]
    res["dl_ok"] = sum(1 for p, g in pairs if g["deadline"] is None or p["deadline"] == g["deadline"])
    res["dl_n"] = len(pairs)
    return res


def _pr(tp: int, pred: int, gold: int) -> str:
    p = tp / pred if pred else 1.0
    r = tp / gold if gold else 1.0
    return f"P {p:.3f} ({tp}/{pred})  R {r:.3f} ({tp}/{gold})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", default=str(ROOT / "tests/data/labels"))
    ap.add_argument("--seeds", default=str(ROOT / "tests/data/seeds"))
    ap.add_argument("-v", "--verbose", action="store_true", help="list false positives and misses")
    args = ap.parse_args(argv)
    print("A prediction matches a gold entry when" + RULES.rstrip())
    totals = {k: [0, 0, 0] for k in ("target", "deadline")}
    dl = [0, 0]
    for lf in sorted(Path(args.labels).glob("*.json")):
        sf = Path(args.seeds) / (lf.stem + ".txt")
        if not sf.exists():
            print(f"{lf.stem}: no seed file {sf}, skipped")
            continue
        res = score_file(sf.read_text(encoding="utf-8"), json.loads(lf.read_text(encoding="utf-8")))
        line = [f"{lf.stem}:"]
        for kind in ("target", "deadline"):
            r = res[kind]
            for i, v in enumerate((r["tp"], r["pred"], r["gold"])):
                totals[kind][i] += v
            line.append(f"{kind} {_pr(r['tp'], r['pred'], r['gold'])}")
        dl[0] += res["dl_ok"]
        dl[1] += res["dl_n"]
        line.append(f"deadline accuracy {res['dl_ok']}/{res['dl_n']}")
        print("\n  ".join(line))
        if args.verbose:
            for kind in ("target", "deadline"):
                for p in res[kind]["fp"]:
                    print(f"    FP {kind}: {p['quote'][:40]} | {p['metric'][:30]} | {p['value']}{p['unit'] or ''} {p['deadline']}")
                for g in res[kind]["fn"]:
                    print(f"    FN {kind}: {g['quote'][:40]} | {g['metric'][:30]} | {g['value']}{g['unit'] or ''} {g['deadline']}")
            for p, g in res["target"]["pairs"]:
                if g["deadline"] is not None and p["deadline"] != g["deadline"]:
                    print(f"    DL target: {p['quote'][:40]} got {p['deadline']} want {g['deadline']}")
    print("overall:")
    for kind in ("target", "deadline"):
        tp, pred, gold = totals[kind]
        print(f"  {kind:8s} {_pr(tp, pred, gold)}")
    acc = dl[0] / dl[1] if dl[1] else 1.0
    print(f"  deadline accuracy of matched targets {acc:.3f} ({dl[0]}/{dl[1]})")
    print("rerun: .venv/bin/python benchmarks/score_targets.py --labels tests/data/labels --seeds tests/data/seeds -v")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
