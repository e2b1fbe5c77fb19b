"""`rules lint`: the rule packs checked against their schema, each other, the catalogs and the golden cases."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, cast

from ..hub import KeyPath, format_key, matches, parse_key, strip_indices
from .model import Rule, RuleError, RulePack

MUTATING = ("rename", "move", "remove", "list_to_keys")
GOLDEN_FILES = ("input.toml", "expected.toml", "case.json")


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def lint(packs_dir: Path, golden_dir: Path | None = None) -> list[Problem]:
    """Every problem found in the packs of ``packs_dir``; ``golden_dir`` (when given) must hold a case per rule."""
    problems: list[Problem] = []
    packs: list[RulePack] = []
    for path in sorted(packs_dir.glob("*.yaml")):
        pack, found = read_pack(path)
        problems += found
        if pack is not None:
            packs.append(pack)
    problems += duplicate_ids(packs)
    problems += compiled_problems(packs_dir)
    for pack in packs:
        name = Path(pack.path).name
        problems += [Problem(f"{name} {r.id}", m) for r in pack.rules for m in source_problems(r)]
        problems += [Problem(f"{name} {a.id} / {b.id}", m)
                     for a, b in combinations(pack.rules, 2) for m in conflicts(a, b)]
        problems += [Problem(f"{name} {r.id}", m) for r in pack.rules for m in catalog_problems(r, pack)]
        if golden_dir is not None:
            problems += [Problem(f"{name} {r.id}", m) for r in pack.rules for m in golden_problems(r, golden_dir)]
    return problems


def compiled_problems(packs_dir: Path) -> list[Problem]:
    """The package's own packs must match their compiled copy. A contributor's copy of the data
    ($K8S_MIGRATE_MAPPINGS) may lag: a stale compiled pack is never used, only slower (its YAML is read)."""
    import os

    from ..data import MAPPINGS_ENV, mappings_dir
    from .load import COMPILED, compiled_is_stale

    if os.environ.get(MAPPINGS_ENV) or packs_dir.resolve() != (mappings_dir() / "apim").resolve():
        return []
    try:
        stale = compiled_is_stale(packs_dir)
    except RuleError as exc:
        return [Problem(COMPILED, str(exc))]
    if stale:
        return [Problem(COMPILED, "out of date with the *.yaml packs: run python3 scripts/compile_rule_packs.py")]
    return []


def load_valid_packs(packs_dir: Path) -> list[RulePack]:
    """The packs of a folder that load (lint reports the others)."""
    from .load import load_pack

    packs = []
    for path in sorted(packs_dir.glob("*.yaml")):
        try:
            packs.append(load_pack(path))
        except RuleError:
            continue
    return packs


def read_pack(path: Path) -> tuple[RulePack | None, list[Problem]]:
    """A pack read for linting: every problem of its YAML and of each rule, each at its file:line; the pack
    holds the rules that are sound, so the checks below still see them."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError

    from ..versions import VersionError, normalise_version, version_key
    from .model import rule_from_data

    name = path.name
    try:
        data: Any = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        return None, [Problem(where, f"invalid YAML: {getattr(exc, 'problem', None) or ' '.join(str(exc).split())}")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, f"cannot read: {exc}")]
    if not isinstance(data, CommentedMap) or "from" not in data or "to" not in data:
        return None, [Problem(f"{name}:1", "a rule pack needs 'from', 'to' and 'rules'")]
    problems = []
    try:
        src, dst = normalise_version(str(data["from"])), normalise_version(str(data["to"]))
    except VersionError as exc:
        return None, [Problem(f"{name}:1", str(exc))]
    if version_key(src) >= version_key(dst):
        problems.append(Problem(f"{name}:1", f"'from' {src} must be older than 'to' {dst}"))
    items: Any = data.get("rules") or []
    if not isinstance(items, list):
        return None, problems + [Problem(f"{name}:{data.lc.key('rules')[0] + 1}", "'rules' must be a list")]
    rules = []
    for i, item in enumerate(items):
        line = cast(CommentedSeq, items).lc.item(i)[0] + 1
        try:
            rules.append(rule_from_data(item, f"{src}->{dst}", f"rule {i + 1}"))
        except RuleError as exc:
            problems.append(Problem(f"{name}:{line}", str(exc)))
    return RulePack(src, dst, tuple(rules), str(path)), problems


def duplicate_ids(packs: list[RulePack]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for pack in packs:
        for rule in pack.rules:
            if rule.id in seen:
                problems.append(Problem(rule.id, f"id used twice ({seen[rule.id]} and {pack.name})"))
            seen.setdefault(rule.id, pack.name)
    return problems


def source_problems(rule: Rule) -> list[str]:
    if not rule.source.startswith("https://"):
        return [f"source must be a URL (doc page, PR, or release file), got {rule.source!r}"]
    return []


def conflicts(a: Rule, b: Rule) -> list[str]:
    """Two rules of one pack that would both rewrite or both judge the same key."""
    if not _same_guards(a, b):
        return []
    both_mutate = a.op in MUTATING and b.op in MUTATING
    both_defaults = a.op == b.op == "default_change"
    if not (both_mutate or both_defaults):
        return []
    shared = [format_key(k) for k in a.keys if any(_overlap(k, other) for other in b.keys)]
    if shared:
        return [f"both {a.op} and {b.op} {', '.join(shared)}"]
    return []


def _same_guards(a: Rule, b: Rule) -> bool:
    """Rules whose guards differ (other profiles, other values) may share a key."""
    return all(a.when.get(g) == b.when.get(g) for g in ("profile", "value", "value_in", "equals"))


def _overlap(a: KeyPath, b: KeyPath) -> bool:
    a, b = strip_indices(a), strip_indices(b)
    return matches(a, b, prefix=True) or matches(b, a, prefix=True)


def catalog_problems(rule: Rule, pack: RulePack) -> list[str]:
    """Keys a rule reads must be known to the older version; keys it writes to the newer one."""
    from ..catalog import UnknownVersionError, load_catalog

    try:
        old, new = load_catalog(pack.from_version), load_catalog(pack.to_version)
    except UnknownVersionError as exc:
        return [f"no catalog to check the keys against: {exc}"]
    problems = []
    about_target = (rule.op in ("require", "default_change", "fill", "withhold")
                    or (rule.op == "warn" and "absent" in rule.when))
    reads = () if about_target else rule.keys
    writes = [k for k in ((rule.to,) if rule.to is not None else ()) if "*" not in format_key(k)]
    if about_target or rule.op == "set":
        writes += list(rule.keys)
    if rule.keep_switch:
        writes.append(parse_key(rule.keep_switch.split("=")[0].strip()))
    for key in reads:
        if not old.partial and not _known_or_table(old, key):
            problems.append(f"{format_key(key)} is not a {old.version} key")
    for key in writes:
        if not new.partial and not _known_or_table(new, key):
            problems.append(f"{format_key(key)} is not a {new.version} key")
    return problems


def _known_or_table(catalog, key: KeyPath) -> bool:
    if catalog.known.is_known(key):
        return True
    text = format_key(strip_indices(key)) + "."
    return any(k.startswith(text) for k in catalog.known.key_texts)


def golden_problems(rule: Rule, golden_dir: Path) -> list[str]:
    case = golden_dir / rule.id
    missing = [f for f in GOLDEN_FILES if not (case / f).is_file()]
    if missing:
        return [f"no golden case ({case.name}/{', '.join(missing)} missing)"]
    return []


def default_golden_dir() -> Path | None:
    """tests/golden/toml of a source checkout; None in an installed wheel."""
    from ..data import mappings_dir

    candidate = mappings_dir().parent / "tests" / "golden" / "toml"
    return candidate if candidate.is_dir() else None
