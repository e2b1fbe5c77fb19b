#!/usr/bin/env python3
"""Account for every migration candidate: encoded as a rule, rejected with a reason, or open.

Candidates per consecutive version pair come from two places:
- the documented ones, ../shared/reference/migration-notes/RULES.yaml (3.0.0 and later);
- what the derived catalogs (mappings/catalog/) show between the two versions: keys that vanish
  from default.json / the templates, keys that appear, changed defaults, key-mappings.json
  changes, infer.json changes per server.server_role, and, where a version has only stock files
  (4.7.0), the keys its stock files drop, add or change.

A candidate is encoded when a rule of the pair's pack names it (`candidate:`, exact id or glob)
or covers its key; an alias candidate is encoded by k8s_migrate/rules/aliases.py when it
canonicalises the old key. Otherwise the first entry of mappings/apim/coverage/rejected.yaml whose pair
and pattern match rejects it. Writes mappings/apim/candidates.json and mappings/apim/COVERAGE.md.

    python scripts/derive_coverage.py [--reference DIR] [--check]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from k8s_migrate.catalog import Catalog, known_versions, load_catalog  # noqa: E402
from k8s_migrate.hub import KeyPathError, format_key, matches, parse_key, strip_indices  # noqa: E402
from k8s_migrate.rules.aliases import canonical_names  # noqa: E402
from k8s_migrate.rules.load import load_packs  # noqa: E402
from k8s_migrate.rules.values import same_value  # noqa: E402
from k8s_migrate.versions import version_key  # noqa: E402

DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"
APIM = REPO / "mappings" / "apim"
FIRST = "3.0.0"


@dataclass
class Candidate:
    id: str
    pair: str
    origin: str  # RULES.yaml | catalog
    kind: str
    key: str
    old: Any = None
    new: Any = None
    status: str = "open"
    by: str = ""  # the rule id, or the rejection reason
    rejected_as: str = ""  # the first pattern of the rejected.yaml entry that matched
    facts: dict[str, Any] = field(default_factory=dict)


# ---- candidates ------------------------------------------------------------------------
def documented(reference: Path) -> Iterator[Candidate]:
    from ruamel.yaml import YAML

    items = YAML(typ="safe", pure=True).load((reference / "migration-notes" / "RULES.yaml").read_text())
    for item in items:
        if version_key(str(item["from"])) < version_key(FIRST):
            continue
        key = str(item.get("old_key") or item.get("new_key") or "")
        yield Candidate(f"doc:{item['kind']}:{key}", f"{item['from']}->{item['to']}", "RULES.yaml", item["kind"], key,
                        facts={"new_key": item.get("new_key") or "", "source": item.get("source", ""),
                               "confidence": item.get("confidence", "")})


def key_set(cat: Catalog) -> set[str]:
    return set(cat.defaults) | set(cat.template_keys)


def known(cat: Catalog, text: str) -> bool:
    try:
        return cat.known.is_known(parse_key(text))
    except KeyPathError:
        return False


def last_complete(versions: list[str], before: str) -> str | None:
    older = [v for v in versions if version_key(v) <= version_key(before) and load_catalog(v).template_keys]
    return older[-1] if older else None


def from_catalogs() -> Iterator[Candidate]:
    versions = known_versions()
    for a, b in zip(versions, versions[1:], strict=False):
        pair = f"{a}->{b}"
        old, new = load_catalog(a), load_catalog(b)
        base = load_catalog(last_complete(versions, a) or a)  # 3.1.0 has no templates: compare from 3.0.0
        if new.template_keys:
            yield from vanished(pair, base, new)
            yield from appeared(pair, base, new)
            yield from alias_changes(pair, base, new)
        if new.infer:
            yield from infer_changes(pair, old if old.infer else base, new)
        yield from changed_defaults(pair, old, new)
        if not new.defaults and new.profiles:
            yield from stock_changes(pair, old, new)


def vanished(pair: str, old: Catalog, new: Catalog) -> Iterator[Candidate]:
    for key in sorted(key_set(old)):
        if not known(new, key):
            yield Candidate(f"gone:{key}", pair, "catalog", "vanished", key, old=old.defaults.get(key))


def appeared(pair: str, old: Catalog, new: Catalog) -> Iterator[Candidate]:
    for key in sorted(key_set(new)):
        if not known(old, key):
            yield Candidate(f"new:{key}", pair, "catalog", "appeared", key, new=new.defaults.get(key))


def changed_defaults(pair: str, old: Catalog, new: Catalog) -> Iterator[Candidate]:
    for key in sorted(set(old.defaults) & set(new.defaults)):
        if not same_value(old.defaults[key], new.defaults[key]):
            yield Candidate(
                f"default:{key}", pair, "catalog", "default", key, old=old.defaults[key], new=new.defaults[key]
            )


def alias_changes(pair: str, old: Catalog, new: Catalog) -> Iterator[Candidate]:
    for key in sorted(set(old.aliases) | set(new.aliases)):
        before, after = sorted(old.aliases.get(key, [])), sorted(new.aliases.get(key, []))
        if before != after:
            yield Candidate(f"alias:{key}", pair, "catalog", "alias", key, old=before, new=after)


def infer_changes(pair: str, old: Catalog, new: Catalog) -> Iterator[Candidate]:
    condition = "server.server_role"
    before, after = old.infer.get(condition, {}), new.infer.get(condition, {})
    for role in sorted(set(before) | set(after)):
        if before.get(role) != after.get(role):
            yield Candidate(f"infer:{condition}={role}", pair, "catalog", "infer", condition,
                            old=sorted(before.get(role) or {}) if role in before else None,
                            new=sorted(after.get(role) or {}) if role in after else None,
                            facts={"role": role, "changed": diff_implied(before.get(role), after.get(role))})


def diff_implied(before: dict | None, after: dict | None) -> list[str]:
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if not same_value(before.get(k), after.get(k)))


def stock_changes(pair: str, old: Catalog, new: Catalog) -> Iterator[Candidate]:
    from k8s_migrate.hub import flatten

    for profile in sorted(set(old.profiles) & set(new.profiles)):
        before, after = flat(old.profiles[profile], flatten), flat(new.profiles[profile], flatten)
        for key in sorted(set(before) | set(after)):
            if key not in after:
                kind = "stock-dropped"
            elif key not in before:
                kind = "stock-added"
            elif not same_value(before[key], after[key]):
                kind = "stock-changed"
            else:
                continue
            yield Candidate(
                f"stock:{profile}:{key}", pair, "catalog", kind, key, old=before.get(key), new=after.get(key)
            )


def flat(doc: dict[str, Any], flatten) -> dict[str, Any]:
    return {format_key(path): value for path, value in flatten(doc).items()}


# ---- matching --------------------------------------------------------------------------
def glob_hit(patterns: list[str], text: str) -> bool:
    return any(p == text or fnmatch.fnmatchcase(text, p.replace("[", "[[]")) for p in patterns)


def rule_covers_key(rule, key: str) -> bool:
    try:
        path = strip_indices(parse_key(key))
    except KeyPathError:
        return False
    for pattern in (*rule.keys, *((rule.to,) if rule.to is not None and "*" not in format_key(rule.to) else ())):
        pattern = strip_indices(pattern)
        if matches(pattern, path, prefix=True) or matches(path, pattern, prefix=True):
            return True
    return False


def key_texts(cand: Candidate) -> list[str]:
    """The keys a candidate names; RULES.yaml writes lists ("a, b") and notes ("a (gateway nodes)")."""
    if cand.origin == "catalog":
        return [cand.key]
    return [part.split(" (")[0].strip() for part in re.split(r",\s*", cand.key) if part and not part.startswith("(")]


def classify(cand: Candidate, packs_by_pair: dict, rejections: list[dict]) -> None:
    rules = packs_by_pair.get(cand.pair, ())
    named = [r for r in rules if glob_hit([str(c) for c in r.raw.get("candidate", [])], cand.id)]
    by_key = [
        r for r in rules if not cand.kind.startswith("stock") and any(rule_covers_key(r, k) for k in key_texts(cand))
    ]
    hit = named or by_key
    if hit:
        cand.status, cand.by = "encoded", ", ".join(r.id for r in hit)
        return
    if cand.kind == "alias":
        encoded = alias_encoded(cand)
        if encoded:
            cand.status, cand.by = "encoded", encoded
            return
    for entry in rejections:
        pairs = entry.get("pairs")
        if pairs and cand.pair not in pairs:
            continue
        if glob_hit(entry["match"], cand.id):
            cand.status, cand.by, cand.rejected_as = "rejected", entry["reason"].strip(), entry["match"][0]
            return


def alias_encoded(cand: Candidate) -> str:
    target = load_catalog(cand.pair.split("->")[1])
    olds = []
    for text in cand.new or []:
        try:
            olds.append(parse_key(text))
        except KeyPathError:
            continue
    rewritten = canonical_names(target, olds)
    return f"aliases.py (canonicalises {', '.join(format_key(k) for k in rewritten)})" if rewritten else ""


def load_rejections() -> list[dict]:
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load((APIM / "coverage" / "rejected.yaml").read_text())
    return data["rejected"]


# ---- output ----------------------------------------------------------------------------
def coverage_markdown(cands: list[Candidate], pairs: list[str], reference_note: str) -> str:
    lines = [
        "# Rule coverage",
        "",
        "Generated by `scripts/derive_coverage.py` from " + reference_note + ", the catalogs in",
        "`mappings/catalog/`, the packs in `mappings/apim/` and `mappings/apim/coverage/rejected.yaml`. Do not edit.",
        "",
        "| pair | candidates | encoded | rejected | open |",
        "|---|---:|---:|---:|---:|",
    ]
    for pair in pairs:
        mine = [c for c in cands if c.pair == pair]
        count = lambda s, mine=mine: sum(1 for c in mine if c.status == s)  # noqa: E731
        lines.append(f"| {pair} | {len(mine)} | {count('encoded')} | {count('rejected')} | {count('open')} |")
    total = lambda s: sum(1 for c in cands if c.status == s)  # noqa: E731
    lines.append(f"| **all** | {len(cands)} | {total('encoded')} | {total('rejected')} | {total('open')} |")
    for pair in pairs:
        mine = [c for c in cands if c.pair == pair]
        lines += ["", f"## {pair}", ""]
        documented_ = [c for c in mine if c.origin == "RULES.yaml"]
        if documented_:
            lines += [
                "Documented candidates (RULES.yaml):",
                "",
                "| candidate | status | rule / reason |",
                "|---|---|---|",
            ]
            lines += [f"| `{c.id}` | {c.status} | {c.by} |" for c in documented_]
            lines.append("")
        data = [c for c in mine if c.origin == "catalog"]
        encoded = [c for c in data if c.status != "rejected"]
        if encoded:
            lines += ["Data candidates encoded (or open):", "", "| candidate | status | rule |", "|---|---|---|"]
            lines += [f"| `{c.id}` | {c.status} | {c.by} |" for c in encoded]
            lines.append("")
        groups: dict[str, list[Candidate]] = {}
        for c in data:
            if c.status == "rejected":
                groups.setdefault(c.by, []).append(c)
        if groups:
            lines += ["Data candidates rejected, by reason:", ""]
            for reason, members in groups.items():
                shown = ", ".join(f"`{c.id}`" for c in members[:6]) + (
                    f" and {len(members) - 6} more" if len(members) > 6 else ""
                )
                lines.append(f"- {len(members)} × {reason} ({shown})")
    return "\n".join(lines) + "\n"


def compact(cand: Candidate) -> dict[str, Any]:
    data = {k: v for k, v in asdict(cand).items() if v not in (None, "", {}, [])}
    if cand.kind == "infer":  # the implied key lists are long; the keys that changed say it
        data.pop("old", None), data.pop("new", None)
    if cand.status == "rejected":  # the reason is in rejected.yaml, found by its first pattern
        data.pop("by", None)
    return data


def one_per_line(payload: dict[str, Any]) -> str:
    rows = ",\n".join(" " + json.dumps(c, default=str, ensure_ascii=False) for c in payload["candidates"])
    return '{"source": ' + json.dumps(payload["source"]) + ',\n "candidates": [\n' + rows + "\n]}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--check", action="store_true", help="exit 1 if any candidate is open; write nothing")
    args = parser.parse_args(argv)
    versions = known_versions()
    pairs = [f"{a}->{b}" for a, b in zip(versions, versions[1:], strict=False)]
    packs_by_pair = {p.name: p.rules for p in load_packs()}
    rejections = load_rejections()
    cands = [*documented(args.reference), *from_catalogs()]
    for cand in cands:
        classify(cand, packs_by_pair, rejections)
    open_ = [c for c in cands if c.status == "open"]
    for c in open_:
        print(f"open: {c.pair} {c.id} old={c.old!r} new={c.new!r}", file=sys.stderr)
    if args.check:
        return 1 if open_ else 0
    note = "`../shared/reference/migration-notes/RULES.yaml`"
    audit = APIM / "coverage" / "audit.md"  # hand-written: rules re-checked against WSO2's files
    extra = "\n" + audit.read_text(encoding="utf-8") if audit.is_file() else ""
    (APIM / "COVERAGE.md").write_text(coverage_markdown(cands, pairs, note) + extra, encoding="utf-8")
    payload = {
        "source": "scripts/derive_coverage.py over ../shared/reference/migration-notes/RULES.yaml and mappings/catalog/*.json",
        "candidates": [compact(c) for c in cands],
    }
    (APIM / "candidates.json").write_text(one_per_line(payload), encoding="utf-8")
    print(f"{len(cands)} candidates: {len(cands) - len(open_)} accounted for, {len(open_)} open")
    return 0


if __name__ == "__main__":
    sys.exit(main())
