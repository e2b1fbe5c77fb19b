"""Old key names that the target version still accepts (key-mappings.json), rewritten to the new names.

key-mappings.json maps a new key to the old keys the server still reads in its place. The rules
made here canonicalise an old key in the user's file to its new name, after the packs ran:
- only when the target's templates no longer read the old key themselves, or when one old key
  feeds several new keys (``apim.cache.token_expiry_time``);
- never for a partial catalog (no templates: no evidence of what is read).
One old key with several new keys becomes a rename to the first and a ``set`` of each further one.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..catalog import Catalog
from ..hub import KeyPath, format_key, matches, parse_key
from .apply import Context, HubState, apply_rule
from .model import Rule


def old_to_new(catalog: Catalog) -> dict[KeyPath, tuple[KeyPath, ...]]:
    """Each old key of key-mappings.json and the new keys it feeds, in a stable order (Catalog.alias_table)."""
    return dict(catalog.alias_table)


def templates_read(catalog: Catalog, path: KeyPath) -> bool:
    text = format_key(path)
    return any(t == text or (("*" in t or "[]" in t) and matches(parse_key(t), path)) for t in catalog.template_keys)


def should_canonicalise(catalog: Catalog, old: KeyPath, news: tuple[KeyPath, ...]) -> bool:
    if catalog.partial or not catalog.template_keys:
        return False
    if any(matches(table, old, prefix=True) for table in catalog.free_form_paths):
        return False  # an entry of a table the templates copy as-is (pool_options): its name works as written
    return len(news) > 1 or not templates_read(catalog, old)


def alias_rules(catalog: Catalog, values: Mapping[KeyPath, Any]) -> list[Rule]:
    """Synthetic rules for the old alias keys among ``values`` (the live keys of a user's file)."""
    rules: list[Rule] = []
    for old, news in old_to_new(catalog).items():
        if old not in values or not should_canonicalise(catalog, old, news):
            continue
        rules.append(_rule(catalog, "rename", old, news[0], None))
        rules.extend(_rule(catalog, "set", new, old, values[old]) for new in news[1:] if new not in values)
    return rules


def _rule(catalog: Catalog, op: str, key: KeyPath, other: KeyPath, value: Any) -> Rule:
    """A rename of ``key`` to ``other``, or a ``set`` of ``key`` to the value of the old key ``other``."""
    source = f"key-mappings.json of API-M {catalog.version}"
    if op == "rename":
        message = (f"old name of {format_key(other)}, which {catalog.version} reads "
                   "(the old name is accepted for compatibility)")
    else:
        message = f"{format_key(other)} fed this key too in {catalog.version}; set to the same value"
    raw = {"id": f"alias:{format_key(key)}", "op": op, "key": format_key(key)}
    return Rule(id=raw["id"], op=op, keys=(key,), source=source, confidence="high", message=message,
                pack=f"aliases@{catalog.version}", to=other if op == "rename" else None, value=value, raw=raw)


def canonicalise(state: HubState, catalog: Catalog, ctx: Context | None = None) -> None:
    """Apply the alias rules of ``catalog`` to the live keys of ``state``."""
    values = {t.path: t.value for t in state.live()}
    for rule in alias_rules(catalog, values):
        apply_rule(state, rule, ctx or Context())


def canonical_names(catalog: Catalog, keys: Iterable[KeyPath]) -> dict[KeyPath, tuple[KeyPath, ...]]:
    """For reporting and coverage: which of ``keys`` would be rewritten, and to what."""
    table = old_to_new(catalog)
    return {k: table[k] for k in keys if k in table and should_canonicalise(catalog, k, table[k])}
