"""Go template builtins and the Sprig/Helm functions WSO2's charts use, with Go's argument typing.

Every function takes the call context first (template set, dot, name and line), then its arguments.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Callable

from . import yamlout
from .execute import CallContext
from .govalue import TemplateError, format_v, go_quote, is_true, sprint, sprintf, strval, to_json, type_name
from .sprig_text import SPRIG_TEXT, want_int, want_str


def _to_int64(value: Any) -> int:
    """spf13/cast ToInt64 as Sprig uses it: never fails, 0 for what it cannot read."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip(), 0)
        except ValueError:
            try:
                return int(float(value))
            except ValueError:
                return 0
    return 0


def _to_float(value: Any) -> float:
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return 0.0
    return 0.0


def _empty(value: Any) -> bool:
    return not is_true(value)


def _str_slice(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [strval(v) for v in value if v is not None]
    return [strval(value)]


# ---- comparison builtins (text/template's eq/ne/lt/...) -------------------------------------------

def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


def _eq(call: CallContext, first: Any, *others: Any) -> bool:
    if not others:
        raise TemplateError("missing argument for comparison")
    for other in others:
        k1, k2 = _kind(first), _kind(other)
        if k1 != k2:
            if first is not None and other is not None:
                raise TemplateError("incompatible types for comparison")
            continue
        if k1 == "other":
            if isinstance(first, (dict, list)) or isinstance(other, (dict, list)):
                raise TemplateError(f"non-comparable type {format_v(first, False)}: {type_name(first)}")
            if (first is None) == (other is None) and (first is None or first == other):
                return True
        elif first == other:
            return True
    return False


def _ne(call: CallContext, a: Any, b: Any) -> bool:
    return not _eq(call, a, b)


def _less(a: Any, b: Any) -> bool:
    k1, k2 = _kind(a), _kind(b)
    if k1 in ("other", "bool") or k2 in ("other", "bool"):
        raise TemplateError("invalid type for comparison")
    if k1 != k2:
        raise TemplateError("incompatible types for comparison")
    return a < b


def _index(call: CallContext, item: Any, *keys: Any) -> Any:
    for key in keys:
        if item is None:
            raise TemplateError("index of untyped nil")
        if isinstance(item, dict):
            item = item.get(key)
        elif isinstance(item, (list, tuple, str)):
            position = want_int(key) if not isinstance(key, float) else want_int(key)
            if not 0 <= position < len(item):
                raise TemplateError(f"index out of range: {position}")
            item = ord(item[position]) if isinstance(item, str) else item[position]
        else:
            raise TemplateError(f"can't index item of type {type_name(item)}")
    return item


def _len(call: CallContext, value: Any) -> int:
    if isinstance(value, (str, dict, list, tuple)):
        return len(value.encode()) if isinstance(value, str) else len(value)
    if value is None:
        raise TemplateError("len of nil pointer")
    raise TemplateError(f"len of type {type_name(value)}")


# ---- Helm template functions ---------------------------------------------------------------------

def _include(call: CallContext, name: Any, data: Any = None) -> str:
    return call.template.execute_named(want_str(name), data, call.depth, call.where())


def _tpl(call: CallContext, text: Any, data: Any) -> str:
    from .execute import strip_no_value

    source = want_str(text)
    name = call.where()[0]
    nodes = call.template.add(source, name)
    return strip_no_value(call.template.execute(nodes, name, data, call.depth + 1))


def _required(call: CallContext, message: Any, value: Any = None) -> Any:
    if value is None or value == "":
        raise TemplateError(want_str(message))
    return value


def _fail(call: CallContext, message: Any) -> Any:
    raise TemplateError(want_str(message))


def _default(call: CallContext, fallback: Any, *given: Any) -> Any:
    if not given or _empty(given[0]):
        return fallback
    return given[0]


def _coalesce(call: CallContext, *values: Any) -> Any:
    for value in values:
        if not _empty(value):
            return value
    return None


def _quote(call: CallContext, *values: Any) -> str:
    return " ".join(go_quote(strval(v)) for v in values if v is not None)


def _squote(call: CallContext, *values: Any) -> str:
    return " ".join(f"'{strval(v)}'" for v in values if v is not None)


def _trunc(call: CallContext, count: Any, text: Any) -> str:
    count, text = want_int(count), want_str(text)
    if count < 0 and len(text) + count > 0:
        return text[len(text) + count:]
    if count >= 0 and len(text) > count:
        return text[:count]
    return text


def _indent(call: CallContext, spaces: Any, text: Any) -> str:
    pad = " " * want_int(spaces)
    return pad + want_str(text).replace("\n", "\n" + pad)


def _dict(call: CallContext, *pairs: Any) -> dict:
    result = {}
    for i in range(0, len(pairs), 2):
        result[strval(pairs[i])] = pairs[i + 1] if i + 1 < len(pairs) else ""
    return result


def _set(call: CallContext, target: Any, key: Any, value: Any) -> dict:
    target[want_str(key)] = value
    return target


def _keys(call: CallContext, *maps: Any) -> list:
    return sorted(k for m in maps for k in m)


def _b64dec(call: CallContext, text: Any) -> str:
    try:
        return base64.b64decode(want_str(text), validate=True).decode("utf-8", "replace")
    except ValueError as exc:
        return str(exc)


def _regex_match(call: CallContext, pattern: Any, text: Any) -> bool:
    try:
        return re.search(want_str(pattern), want_str(text)) is not None
    except re.error:
        return False


def _split(call: CallContext, sep: Any, text: Any) -> dict:
    return {f"_{i}": part for i, part in enumerate(want_str(text).split(want_str(sep)))}


def _split_list(call: CallContext, sep: Any, text: Any) -> list:
    return want_str(text).split(want_str(sep))


def _ternary(call: CallContext, if_true: Any, if_false: Any, condition: Any) -> Any:
    if not isinstance(condition, bool):
        raise TemplateError(f"wrong type for value; expected bool; got {type_name(condition)}")
    return if_true if condition else if_false


def _has_key(call: CallContext, mapping: Any, key: Any) -> bool:
    if not isinstance(mapping, dict):
        raise TemplateError(f"wrong type for value; expected map[string]interface {{}}; got {type_name(mapping)}")
    return want_str(key) in mapping


def _get(call: CallContext, mapping: Any, key: Any) -> Any:
    if not isinstance(mapping, dict):
        raise TemplateError(f"wrong type for value; expected map[string]interface {{}}; got {type_name(mapping)}")
    return mapping.get(want_str(key), "")


def _semver_compare(call: CallContext, constraint: Any, version: Any) -> bool:
    from .semver import satisfies

    return satisfies(want_str(constraint), want_str(version))


def _str2(fn: Callable[[str, str], Any]) -> Callable:
    return lambda call, a, b: fn(want_str(a), want_str(b))


def _str1(fn: Callable[[str], Any]) -> Callable:
    return lambda call, a: fn(want_str(a))


FUNCTIONS: dict[str, Callable] = {
    # text/template builtins
    "eq": _eq, "ne": _ne,
    "lt": lambda c, a, b: _less(a, b), "le": lambda c, a, b: _less(a, b) or _eq(c, a, b),
    "gt": lambda c, a, b: _less(b, a), "ge": lambda c, a, b: _less(b, a) or _eq(c, a, b),
    "not": lambda c, a: not is_true(a),
    "len": _len, "index": _index,
    "print": lambda c, *a: sprint(list(a)),
    "printf": lambda c, f, *a: sprintf(want_str(f), list(a)),
    "println": lambda c, *a: " ".join(format_v(v, False) for v in a) + "\n",
    # Helm
    "include": _include, "tpl": _tpl, "required": _required, "fail": _fail,
    "toYaml": lambda c, v: yamlout.to_yaml(v).removesuffix("\n"),
    "toJson": lambda c, v: to_json(v),
    "lookup": lambda c, *a: {},
    # Sprig: defaults and logic
    "default": _default, "empty": lambda c, v: _empty(v), "coalesce": _coalesce, "ternary": _ternary,
    # strings
    "quote": _quote, "squote": _squote, "toString": lambda c, v: strval(v),
    "lower": _str1(str.lower), "upper": _str1(str.upper), "trim": _str1(lambda s: s.strip(" \t\n\r\v\f")),
    "trimSuffix": _str2(lambda suffix, s: s.removesuffix(suffix)),
    "trimPrefix": _str2(lambda prefix, s: s.removeprefix(prefix)),
    "trimAll": _str2(lambda chars, s: s.strip(chars)),
    "contains": _str2(lambda sub, s: sub in s),
    "hasPrefix": _str2(lambda prefix, s: s.startswith(prefix)),
    "hasSuffix": _str2(lambda suffix, s: s.endswith(suffix)),
    "replace": lambda c, old, new, s: want_str(s).replace(want_str(old), want_str(new)),
    "trunc": _trunc, "indent": _indent,
    "nindent": lambda c, n, s: "\n" + _indent(c, n, s),
    "b64enc": _str1(lambda s: base64.b64encode(s.encode()).decode()),
    "b64dec": _b64dec,
    "join": lambda c, sep, v: want_str(sep).join(_str_slice(v)),
    "split": _split, "splitList": _split_list,
    "regexMatch": _regex_match, "semverCompare": _semver_compare,
    # lists and maps
    "list": lambda c, *a: list(a), "sortAlpha": lambda c, v: sorted(_str_slice(v)),
    "dict": _dict, "get": _get, "set": _set, "keys": _keys, "hasKey": _has_key,
    # numbers
    "int": lambda c, v: _to_int64(v), "int64": lambda c, v: _to_int64(v), "float64": lambda c, v: _to_float(v),
    "add": lambda c, *a: sum(_to_int64(v) for v in a),
    "add1": lambda c, v: _to_int64(v) + 1,
    "sub": lambda c, a, b: _to_int64(a) - _to_int64(b),
    "mul": lambda c, a, *b: _product([a, *b]),
    "max": lambda c, a, *b: max(_to_int64(v) for v in [a, *b]),
    "min": lambda c, a, *b: min(_to_int64(v) for v in [a, *b]),
    **SPRIG_TEXT,
}


def _product(values: list) -> int:
    result = 1
    for value in values:
        result *= _to_int64(value)
    return result
