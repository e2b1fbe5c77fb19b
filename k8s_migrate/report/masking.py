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
    return key[max(key.rfind("."), key.rfind("/"), key.rfind("[")) + 1:].strip("\"'")


@lru_cache(maxsize=1 << 18)  # a report masks each key twice; a 10 MB file has 238k
def is_secret_key(key: str | None) -> bool:
    return bool(key) and bool(_secret_name().fullmatch(last_segment(key or "")))


def mask_value(key: str | None, value: Any) -> Any:
    if value is None:
        return value
    if not is_secret_key(key):
        return mask_credentials(value)
    if isinstance(value, (list, tuple)):
        return [mask_value(key, v) for v in value]
    if isinstance(value, dict):
        return {k: MASK for k in value}
    if isinstance(value, bool) or is_placeholder(value) or value == "":
        return value
    return MASK


# user:password@ in a URL (jdbc:mysql://u:pw@h, amqp://u:pw@h, https://u:pw@h)
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z][A-Za-z0-9+.\-]*:)*//[^/\s:@\"'`]*:)"
                       r"(?P<secret>[^@/\s\"'`]+)(?=@)")
# password=... in JDBC URLs and connection strings (;password=x; ?password=x&)
_PARAM = re.compile(r"(?P<head>(?<![A-Za-z0-9_])(?:password|passwd|pwd)\s*=\s*)(?P<secret>[^;&\s\"'`<>]+)",
                    re.IGNORECASE)


def mask_message(message: str, own: list[tuple[str | None, Any]]) -> str:
    """A report message with the entry's own secret values masked where they stand, and credentials in URLs."""
    for key, value in own:
        if value is None or not is_secret_key(key):
            continue
        for one in (value if isinstance(value, (list, tuple)) else [value]):
            if isinstance(one, (str, int)) and not isinstance(one, bool) and len(str(one)) >= 2 \
                    and not is_placeholder(str(one)):
                message = re.sub(rf"(?<![\w.-]){re.escape(str(one))}(?![\w.-])", MASK, message)
    return _mask_in_string(message)


def mask_credentials(value: Any) -> Any:
    """Credentials inside a value whose key is not a secret's: URL user-info and password= parameters."""
    if isinstance(value, str):
        return _mask_in_string(value)
    if isinstance(value, list):
        return [mask_credentials(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_value(k, v) for k, v in value.items()}
    return value


_MAY_HOLD_CREDENTIALS = re.compile(r"//|=")  # what either pattern needs: a scan in C spares most texts both


def _mask_in_string(text: str) -> str:
    if not _MAY_HOLD_CREDENTIALS.search(text):
        return text

    def keep_placeholder(m: re.Match) -> str:
        return m[0] if is_placeholder(m["secret"]) or m["secret"].startswith(("$", "{")) else m["head"] + MASK
    return _PARAM.sub(keep_placeholder, _USERINFO.sub(keep_placeholder, text))


_ASSIGNMENT = re.compile(
    r"""^(?P<lead>[ \t+\-]*(?:\#+[ \t]*)?)(?P<key>"[^"]*"|'[^']*'|[A-Za-z0-9_.\-"']+)"""
    r"""(?P<op>\s*[=:]\s*)(?P<value>.*?)(?P<tail>\r?\n?)$"""
)
# key = "value" / key: 'value' pairs inside a line (TOML inline tables, YAML flow mappings)
_PAIR = re.compile(r"""(?P<key>"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_\-]+)(?P<op>\s*[=:]\s*)(?P<value>"[^"\n]*"|'[^'\n]*')""")


def mask_config_line(line: str) -> str:
    """Mask secrets by their position in one line of TOML or YAML (a diff line, a commented-out line too):
    the value of a ``key = value`` / ``key: value`` whose key names a secret, secret-keyed pairs inside inline
    tables, and credentials inside URLs and connection strings. Nothing else on the line changes."""
    m = _ASSIGNMENT.match(line)
    if m and is_secret_key(m.group("key")):
        value = m.group("value").strip()
        bare = value.strip("\"'")
        if bare and not is_placeholder(bare) and bare not in ("|", "|-", ">", ">-", "{", "[", "true", "false") \
                and not value.startswith("{"):
            comment = re.search(r"\s+#.*$", value) if value[:1] in "\"'" else None
            shown = f'{m.group("lead")}{m.group("key")}{m.group("op")}"{MASK}"'
            return f'{shown}{comment[0] if comment else ""}{m.group("tail")}'

    def pair(p: re.Match) -> str:
        quote, value = p["value"][0], p["value"][1:-1]
        if not is_secret_key(p["key"]) or not value or is_placeholder(value):
            return p[0]
        return f"{p['key']}{p['op']}{quote}{MASK}{quote}"
    return _mask_in_string(_PAIR.sub(pair, line))


def mask_text(text: str) -> str:
    """Mask secrets in free text (diffs, PR bodies) line by line, by position: see mask_config_line."""
    return "".join(mask_config_line(line) for line in text.splitlines(keepends=True))
