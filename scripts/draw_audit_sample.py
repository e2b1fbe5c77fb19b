#!/usr/bin/env python3
"""Draw a reproducible sample of rules and rejected candidates to re-check by hand against WSO2's files.

    python scripts/draw_audit_sample.py [--seed 14] [--rules 30] [--rejections 30]

Rules come from mappings/apim/*.yaml (sorted by id), rejections from mappings/apim/candidates.json
(status rejected, sorted by pair and id); random.Random(seed).sample picks each set.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from k8s_migrate.rules.load import load_packs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--rules", type=int, default=30)
    parser.add_argument("--rejections", type=int, default=30)
    args = parser.parse_args()
    rules = sorted((r for p in load_packs(str(REPO / "mappings" / "apim")) for r in p.rules), key=lambda r: r.id)
    candidates = json.loads((REPO / "mappings" / "apim" / "candidates.json").read_text())["candidates"]
    rejected = sorted((c for c in candidates if c["status"] == "rejected"), key=lambda c: (c["pair"], c["id"]))
    for rule in random.Random(args.seed).sample(rules, args.rules):
        print(f"rule\t{rule.pack}\t{rule.id}\t{rule.op}\t{', '.join(rule.key_texts)}")
    for c in random.Random(args.seed).sample(rejected, args.rejections):
        print(f"rejection\t{c['pair']}\t{c['id']}\t{c['rejected_as']}")


if __name__ == "__main__":
    main()
