"""Secret masking: every renderer, diff and log line goes through here."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..data import load_json
from ..hub import is_placeholder

MASK = "****"


@lru_cache(maxsize=1)
def _secret_name() -> re.Pattern[str]:
    patterns = load_json("secrets.json")["patterns"]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def last_segment(key: str) -> str:
    key = key.rstrip("]")
    for sep in (".", "/", "["):
        key = key.rsplit(sep, 1)[-1]
    return key.strip("\"'")


def is_secret_key(key: str | None) -> bool:
    return bool(key) and bool(_secret_name().fullmatch(last_segment(key)))


def mask_value(key: str | None, value: Any) -> Any:
    if value is None or not is_secret_key(key):
        return value
    if isinstance(value, (list, tuple)):
        return [mask_value(key, v) for v in value]
    if isinstance(value, dict):
        return {k: MASK for k in value}
    if isinstance(value, bool) or is_placeholder(value) or value == "":
        return value
    return MASK


def secret_values(pairs: list[tuple[str, Any]]) -> set[str]:
    """The literal secret strings among (key, value) pairs, for scrubbing free text such as diffs."""
    found: set[str] = set()
    for key, value in pairs:
        if is_secret_key(key) and isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value)
            if text and not is_placeholder(text):
                found.add(text)
    return found


def scrub_text(text: str, secrets: set[str]) -> str:
    """Replace every secret literal in free text (longest first, so one secret inside another is covered)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 2:
            text = text.replace(secret, MASK)
    return text


_ASSIGNMENT = re.compile(
    r"""^(?P<lead>[ \t+\-]*)(?P<key>"[^"]*"|'[^']*'|[A-Za-z0-9_.\-"']+)(?P<op>\s*[=:]\s*)(?P<value>.*?)(?P<tail>\r?\n?)$"""
)


def mask_config_line(line: str) -> str:
    """Mask the value of a TOML ``key = value`` or YAML ``key: value`` line whose key names a secret."""
    m = _ASSIGNMENT.match(line)
    if not m or not is_secret_key(m.group("key")):
        return line
    value = m.group("value").strip()
    bare = value.strip("\"'")
    if not bare or is_placeholder(bare) or bare in ("|", "|-", ">", ">-", "{", "[", "true", "false"):
        return line
    return f"{m.group('lead')}{m.group('key')}{m.group('op')}\"{MASK}\"{m.group('tail')}"


def mask_text(text: str, secrets: set[str] | None = None) -> str:
    """Mask secrets in free text: assignment lines by key name, then known secret literals."""
    masked = "".join(mask_config_line(line) for line in text.splitlines(keepends=True))
    return scrub_text(masked, {s for s in (secrets or set()) if len(s) >= 6})
