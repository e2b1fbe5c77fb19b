"""Go value semantics for template data: truthiness, type names, %v printing, %q quoting, printf, JSON.

Template data uses plain Python values: None (nil), bool, int (Go int), float (float64, which is
what every number in Helm values is), str, dict (map[string]interface{}), list ([]interface{}).
"""

from __future__ import annotations

import math
import re
from typing import Any

try:  # json.dumps(text, ensure_ascii=False) is this function of json's C accelerator: without the json package
    from _json import encode_basestring as _json_string
except ImportError:  # pragma: no cover - an interpreter without CPython's accelerator modules
    from json.encoder import py_encode_basestring as _json_string

NO_VALUE = "<no value>"


class TemplateError(Exception):
    """A template failed to parse or execute; names the template and line, like Go does."""

    def __init__(self, message: str, name: str | None = None, line: int | None = None):
        self.reason = message
        self.name = name
        self.line = line
        where = f"template: {name}:{line}: " if name is not None and line is not None else ""
        super().__init__(where + message)


def type_name(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    return getattr(value, "go_type", type(value).__name__)


def is_true(value: Any) -> bool:
    """Go's template truth: false, 0, nil, and empty string/map/list are false; structs are true."""
    if value is None:
        return False
    if isinstance(value, (bool, int, float, str, dict, list, tuple)):
        return bool(value)
    return True


def _float_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and decimal exponent of the first digit (d.ddd x 10^exp), read from repr
    (``1.5e-07``, ``9443.0``, ``0.001``) for a finite value other than zero."""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    written = whole + fraction
    significant = written.lstrip("0")
    leading_zeros = len(written) - len(significant)
    return significant.rstrip("0"), len(whole) - 1 - leading_zeros + int(exponent or 0)


def format_float(value: float, eprec: int = 21, exp_min: int = -4) -> str:
    """Go's shortest %g-style float text; %v switches to e-notation at exponent >= eprec."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign = "-" if value < 0 else ""
    digits, exp = _float_digits(value)
    if exp < exp_min or exp >= eprec:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return sign + digits + "0" * (exp + 1 - len(digits))
    return f"{sign}{digits[:exp + 1]}.{digits[exp + 1:]}"


def format_v(value: Any, top: bool = True) -> str:
    """fmt's %v. The template printer shows a top-level nil as <no value>; fmt shows <nil>."""
    if value is None:
        return NO_VALUE if top else "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value, eprec=6)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        items = " ".join(f"{format_v(k, False)}:{format_v(value[k], False)}" for k in sorted(value))
        return f"map[{items}]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(format_v(v, False) for v in value) + "]"
    return str(value)


def strval(value: Any) -> str:
    """Sprig's strval: strings as they are, anything else through %v."""
    return value if isinstance(value, str) else format_v(value, top=False)


_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(text: str) -> str:
    """strconv.Quote: Go escapes, printable Unicode kept as is."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    if text.isascii():  # a chart's whole rendered file (tpl ... | quote): a replace per special character it holds
        for special, escaped in _ASCII_ESCAPES:
            if special in text:
                text = text.replace(special, escaped)
        return f'"{text}"'
    return '"' + _QUOTE_SPECIAL.sub(_go_escape, text) + '"'


_QUOTE_SPECIAL = re.compile(r'[^ -~]|["\\]')  # all but printable ASCII, and the two that need a backslash


def _go_escape(match: re.Match) -> str:
    ch = match.group()
    if ch in _GO_ESCAPES:
        return _GO_ESCAPES[ch]
    if ch.isprintable():
        return ch
    if ord(ch) < 0x80:
        return f"\\x{ord(ch):02x}"
    if ord(ch) <= 0xFFFF:
        return f"\\u{ord(ch):04x}"
    return f"\\U{ord(ch):08x}"


# the ASCII characters _go_escape escapes, the backslash first (the others' escapes bring backslashes in)
_ASCII_ESCAPES = sorted(((chr(code), _go_escape(found)) for code in range(128)
                         if (found := _QUOTE_SPECIAL.match(chr(code)))), key=lambda pair: pair[0] != "\\")


def to_json(value: Any) -> str:
    """encoding/json.Marshal: sorted map keys, HTML-safe escapes, Go float text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise TemplateError(f"json: unsupported value: {format_float(value)}")
        if value == 0 or 1e-6 <= abs(value) < 1e21:
            return format_float(value, eprec=10**9, exp_min=-10**9)
        return re.sub(r"e([-+])0(\d)$", r"e\1\2", format_float(value, eprec=0, exp_min=0))
    if isinstance(value, str):
        text = _json_string(value)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(str(k))}:{to_json(value[k])}" for k in sorted(value, key=str)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    raise TemplateError(f"json: unsupported type: {type_name(value)}")


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])")


def _bad_verb(verb: str, arg: Any) -> str:
    if arg is None:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(arg)}={format_v(arg, top=False)})"


def _pad(text: str, flags: str, width: str | None) -> str:
    if not width or width == "*":
        return text
    size = int(width)
    if "-" in flags:
        return text.ljust(size)
    if "0" in flags and text[:1] in "-+0123456789":
        sign = text[0] if text[0] in "+-" else ""
        return sign + text[len(sign):].rjust(size - len(sign), "0")
    return text.rjust(size)


def _format_one(verb: str, flags: str, precision: str | None, arg: Any) -> str:
    if verb == "v":
        return format_v(arg, top=False)
    if verb == "T":
        return type_name(arg)
    if verb == "s":
        if isinstance(arg, str):
            return arg
        if isinstance(arg, (list, tuple)) and all(isinstance(a, str) for a in arg):
            return format_v(arg, False)
        return _bad_verb(verb, arg)
    if verb == "q":
        return go_quote(arg) if isinstance(arg, str) else _bad_verb(verb, arg)
    if verb == "t":
        return format_v(arg) if isinstance(arg, bool) else _bad_verb(verb, arg)
    if verb == "d":
        return str(arg) if isinstance(arg, int) and not isinstance(arg, bool) else _bad_verb(verb, arg)
    if verb in "xX":
        if isinstance(arg, str):
            text = arg.encode().hex()
        elif isinstance(arg, int) and not isinstance(arg, bool):
            text = format(arg, "x")
        else:
            return _bad_verb(verb, arg)
        return text.upper() if verb == "X" else text
    if verb in "feEgG":
        if not isinstance(arg, float):
            return _bad_verb(verb, arg)
        if verb in "gG" and precision is None:
            return format_float(arg)
        return format(arg, f".{6 if precision is None else precision}{verb}")
    return _bad_verb(verb, arg)


def sprintf(fmt: str, args: list[Any]) -> str:
    """fmt.Sprintf for the verbs charts use (%s %d %v %q %t %x %f %g %T %%), with Go's error texts."""
    out: list[str] = []
    pos = 0
    index = 0
    for match in _VERB.finditer(fmt):
        out.append(fmt[pos:match.start()])
        pos = match.end()
        flags, width, precision, verb = match.groups()
        if verb == "%":
            out.append("%")
            continue
        if index >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[index]
        index += 1
        out.append(_pad(_format_one(verb, flags, precision, arg), flags, width))
    out.append(fmt[pos:])
    if index < len(args):
        extra = ", ".join(f"{type_name(a)}={format_v(a, False)}" if a is not None else "<nil>" for a in args[index:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: a space between operands when neither side is a string."""
    out = []
    for i, arg in enumerate(args):
        if i > 0 and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(format_v(arg, top=False))
    return "".join(out)
