"""Rule packs as data: the schema, checked on load (see mappings/README.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..hub import KeyPath, KeyPathError, format_key, parse_key

OPS = ("rename", "move", "remove", "set", "transform", "require", "warn", "default_change", "list_to_keys",
       "fill", "withhold")
CONFIDENCE = ("high", "medium", "low")
GUARDS = ("profile", "value", "value_in", "present", "absent", "equals", "one_of")
TRANSFORMS = ("map", "invert", "split", "join", "unit", "replace")


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    """One rule of a pack (the schema: mappings/README.md)."""

    id: str
    op: str
    keys: tuple[KeyPath, ...]
    source: str
    confidence: str
    message: str
    pack: str  # "3.1.0->3.2.0"
    to: KeyPath | None = None
    value: Any = None
    transform: dict[str, Any] | None = None
    when: dict[str, Any] = field(default_factory=dict)
    old: Any = None  # default_change: the old default
    new: Any = None  # default_change: the new default
    keep_switch: str | None = None  # a server switch that keeps the old behaviour
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key_texts(self) -> list[str]:
        return self.raw.get("keys") or [self.raw["key"]]


@dataclass(frozen=True)
class RulePack:
    """The rules from one version to the next: one mappings/apim/*.yaml file."""

    from_version: str
    to_version: str
    rules: tuple[Rule, ...]
    path: str

    @property
    def name(self) -> str:
        return f"{self.from_version}->{self.to_version}"


def _key(text: Any, where: str) -> KeyPath:
    if not isinstance(text, str):
        raise RuleError(f"{where}: key must be a string, got {text!r}")
    try:
        return parse_key(text)
    except KeyPathError as exc:
        raise RuleError(f"{where}: {exc}") from None


def rule_from_data(data: dict[str, Any], pack: str, where: str) -> Rule:
    """A rule from its data, or a RuleError naming the first field that breaks the schema (mappings/README.md)."""
    if not isinstance(data, dict):
        raise RuleError(f"{where}: a rule must be a mapping")
    rid = data.get("id")
    if not rid or not isinstance(rid, str):
        raise RuleError(f"{where}: rule without an id")
    where = f"{where} ({rid})"
    op = data.get("op")
    if op not in OPS:
        raise RuleError(f"{where}: op must be one of {', '.join(OPS)}, got {op!r}")
    if not data.get("source"):
        raise RuleError(f"{where}: every rule needs a source")
    confidence = data.get("confidence", "high")
    if confidence not in CONFIDENCE:
        raise RuleError(f"{where}: confidence must be high, medium or low")
    if ("key" in data) == ("keys" in data):
        raise RuleError(f"{where}: give exactly one of key or keys")
    keys = tuple(_key(k, where) for k in (data.get("keys") or [data.get("key")]))
    to = _key(data["to"], where) if "to" in data else None
    _check_what_op_needs(op, data, to, where)
    when = data.get("when") or {}
    _check_optional_fields(op, data, when, where)
    return Rule(
        id=rid, op=op, keys=keys, to=to, source=str(data["source"]), confidence=confidence,
        message=str(data.get("message", "")).strip(), pack=pack, value=data.get("value"),
        transform=data.get("transform"), when=dict(when), old=data.get("old"), new=data.get("new"),
        keep_switch=data.get("keep_switch"), raw=dict(data),
    )


def _check_what_op_needs(op: str, data: dict[str, Any], to: KeyPath | None, where: str) -> None:
    if op in ("rename", "move", "list_to_keys") and to is None:
        raise RuleError(f"{where}: {op} needs 'to'")
    if op == "list_to_keys" and to is not None and format_key(to).count("*") != 1:
        raise RuleError(f"{where}: list_to_keys needs a 'to' with one * (the place of each list item)")
    if op == "transform":
        transform = data.get("transform")
        if not isinstance(transform, dict) or len(transform) != 1 or next(iter(transform)) not in TRANSFORMS:
            raise RuleError(f"{where}: transform must be one of {', '.join(TRANSFORMS)}")
    if op in ("set", "fill", "list_to_keys") and "value" not in data:
        raise RuleError(f"{where}: {op} needs a value")
    if op == "default_change" and ("old" not in data or "new" not in data):
        raise RuleError(f"{where}: default_change needs old and new")


_FIELDS = {
    "id", "op", "key", "keys", "to", "value", "transform", "when", "source", "confidence",
    "message", "old", "new", "keep_switch", "candidate", "note", "choice", "evidence", "met_by_new_stock",
}


def _check_optional_fields(op: str, data: dict[str, Any], when: dict[str, Any], where: str) -> None:
    unknown_guards = set(when) - set(GUARDS)
    if unknown_guards:
        raise RuleError(f"{where}: unknown guard(s) {', '.join(sorted(unknown_guards))}")
    unknown_fields = set(data) - _FIELDS
    if unknown_fields:
        raise RuleError(f"{where}: unknown field(s) {', '.join(sorted(unknown_fields))}")
    if "choice" in data:
        check_choice(data["choice"], where)
    evidence = data.get("evidence")
    if evidence is not None and not (
            isinstance(evidence, str) and evidence.startswith("unchecked: ") and evidence[11:].strip()):
        raise RuleError(f"{where}: evidence must read "
                        "'unchecked: <why the rule cannot be checked against WSO2's files>'")
    for key, wanted in (when.get("one_of") or {}).items():
        if not isinstance(wanted, list):
            raise RuleError(f"{where}: one_of needs a list of values for {key}")
    if "met_by_new_stock" in data and (op != "warn" or data["met_by_new_stock"] is not True):
        raise RuleError(f"{where}: met_by_new_stock is 'true' on a warn rule only")


CHOICE_EFFECTS = {"summary", "value", "pin", "add_items"}


def check_choice(choice: Any, where: str) -> None:
    """``choice: {question, default, options: {name: {summary, value?, pin?, add_items?}}}``."""
    if not isinstance(choice, dict) or not isinstance(choice.get("options"), dict) or not choice["options"]:
        raise RuleError(f"{where}: choice needs options")
    if choice.get("default") not in choice["options"]:
        raise RuleError(f"{where}: choice default must be one of its options")
    for name, option in choice["options"].items():
        unknown = set(option or {}) - CHOICE_EFFECTS
        if unknown:
            raise RuleError(f"{where}: choice option {name}: unknown field(s) {', '.join(sorted(unknown))}")
        for key in (option or {}).get("add_items") or {}:
            _key(key, where)
