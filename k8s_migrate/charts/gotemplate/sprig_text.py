"""Sprig's string, regex, encoding and hash functions, as Helm runs them (Go's regexp, goutils, xstrings).

User content passed through `tpl` may call any of them; the random ones (randAlpha, uuidv4, bcrypt,
genPrivateKey, ...) have no reproducible output and stay unsupported.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Callable

from .govalue import TemplateError, format_v, type_name


def want_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    got = "interface {}" if value is None else type_name(value)
    raise TemplateError(f"wrong type for value; expected string; got {got}")


def want_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    got = "interface {}" if value is None else type_name(value)
    raise TemplateError(f"wrong type for value; expected int; got {got}")


# ---- words -------------------------------------------------------------------------------------------

def _is_separator(char: str) -> bool:
    """strings.Title's word boundary: ASCII letters, digits and '_' are inside words, other ASCII is not."""
    if char.isascii():
        return not (char.isalnum() or char == "_")
    return char.isspace()


def title(text: str) -> str:
    out, previous = [], " "
    for char in text:
        out.append(char.upper() if _is_separator(previous) else char)
        previous = char
    return "".join(out)


def untitle(text: str) -> str:
    out, previous = [], " "
    for char in text:
        out.append(char.lower() if previous.isspace() else char)
        previous = char
    return "".join(out)


def swapcase(text: str) -> str:
    return "".join(c.lower() if c.isupper() else c.upper() if c.islower() else c for c in text)


def initials(text: str) -> str:
    return "".join(word[0] for word in text.split())


def nospace(text: str) -> str:
    return "".join(c for c in text if not c.isspace())


def _words(text: str) -> list[str]:
    """xstrings' word split: at '_', '-', spaces and lower-to-upper or acronym-to-word case changes."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[\s_\-]+", spaced) if w]


def snakecase(text: str) -> str:
    return "_".join(w.lower() for w in _words(text))


def kebabcase(text: str) -> str:
    return "-".join(w.lower() for w in _words(text))


def camelcase(text: str) -> str:
    lead_match = re.match(r"_*", text)
    assert lead_match is not None, "_* matches the empty string"
    lead = lead_match.group(0)
    trail_match = re.search(r"_*$", text[len(lead):])
    assert trail_match is not None, "_*$ matches at the end"
    trail = trail_match.group(0)
    core = text[len(lead):len(text) - len(trail)]
    parts = [p for p in core.split("_") if p]
    return lead + "".join(p[0].upper() + p[1:] for p in parts) + trail


def wrap_custom(text: str, width: int, newline: str = "", wrap_long: bool = False) -> str:
    """goutils.WrapCustom."""
    newline = newline or "\n"
    width = max(width, 1)
    out, offset, length = [], 0, len(text)
    while length - offset > width:
        if text[offset] == " ":
            offset += 1
            continue
        space = text.rfind(" ", offset, width + offset + 1)
        if space >= offset:
            out += [text[offset:space], newline]
            offset = space + 1
        elif wrap_long:
            out += [text[offset:offset + width], newline]
            offset += width
        else:
            space = text.find(" ", width + offset)
            if space == -1:
                out.append(text[offset:])
                offset = length
            else:
                out += [text[offset:space], newline]
                offset = space + 1
    out.append(text[offset:])
    return "".join(out)


def abbreviate(text: str, offset: int, width: int) -> str:
    """goutils.AbbreviateFull (the callers have checked the widths)."""
    if not text or len(text) <= width:
        return text
    offset = min(offset, len(text))
    if len(text) - offset < width - 3:
        offset = len(text) - (width - 3)
    if offset <= 4:
        return text[:width - 3] + "..."
    if offset + width - 3 < len(text):
        return "..." + abbreviate(text[offset:], 0, width - 3)
    return "..." + text[len(text) - (width - 3):]


def substr(start: int, end: int, text: str) -> str:
    if start < 0:
        return text[:end]
    if end < 0 or end > len(text):
        return text[start:]
    return text[start:end]


# ---- Go regexp ---------------------------------------------------------------------------------------

def _compile(pattern: str, strict: bool) -> re.Pattern | None:
    try:
        return re.compile(pattern.replace(r"\z", r"\Z"))
    except re.error as exc:
        if strict:
            raise TemplateError(f"error parsing regexp: {exc}") from None
        return None


_GO_GROUP = re.compile(r"\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def _expand(template: str, match: re.Match) -> str:
    """Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; an unknown group is empty."""
    def one(ref: re.Match) -> str:
        if ref.group(1) == "$":
            return "$"
        name = ref.group(2) or ref.group(3)
        try:
            group = match.group(int(name)) if name.isdigit() else match.group(name)
        except (IndexError, re.error):
            return ""
        return group or ""
    return _GO_GROUP.sub(one, template)


def _regex_functions(strict: bool) -> dict[str, Callable]:
    prefix = "mustRegex" if strict else "regex"

    def find(c, pattern, text):
        compiled = _compile(want_str(pattern), strict)
        found = compiled.search(want_str(text)) if compiled else None
        return found.group(0) if found else ""

    def find_all(c, pattern, text, count):
        compiled, count = _compile(want_str(pattern), strict), want_int(count)
        if not compiled or count == 0:
            return []
        found = [m.group(0) for m in compiled.finditer(want_str(text))]
        return found if count < 0 else found[:count]

    def replace_all(c, pattern, text, replacement):
        compiled = _compile(want_str(pattern), strict)
        if not compiled:
            return want_str(text)
        return compiled.sub(lambda m: _expand(want_str(replacement), m), want_str(text))

    def replace_literal(c, pattern, text, replacement):
        compiled = _compile(want_str(pattern), strict)
        return compiled.sub(lambda m: want_str(replacement), want_str(text)) if compiled else want_str(text)

    def split(c, pattern, text, count):
        compiled, count = _compile(want_str(pattern), strict), want_int(count)
        if not compiled or count == 0:
            return []
        return compiled.split(want_str(text), maxsplit=max(count - 1, 0))

    def match(c, pattern, text):
        compiled = _compile(want_str(pattern), strict)
        return bool(compiled and compiled.search(want_str(text)))

    return {f"{prefix}Find": find, f"{prefix}FindAll": find_all, f"{prefix}ReplaceAll": replace_all,
            f"{prefix}ReplaceAllLiteral": replace_literal, f"{prefix}Split": split, f"{prefix}Match": match}


# ---- encodings and hashes ------------------------------------------------------------------------------

def b32dec(text: str) -> str:
    try:
        return base64.b32decode(text).decode("utf-8", "replace")
    except (binascii.Error, ValueError) as exc:
        return f"illegal base32 data ({exc})"


def adler32sum(text: str) -> str:
    import zlib  # here, as hashlib below: a render that calls no adler32sum does not load it

    return str(zlib.adler32(text.encode()))


def _digest(name: str) -> Callable[[str], str]:
    def digest(text: str) -> str:
        import hashlib  # here: OpenSSL's module costs a render that calls no sha*sum 3 ms to load

        return hashlib.new(name, text.encode()).hexdigest()

    return digest


def _s1(fn: Callable[[str], Any]) -> Callable:
    return lambda c, a: fn(want_str(a))


def _cat(c, *values: Any) -> str:
    return " ".join(format_v(v, False) for v in values if v is not None)


def _abbrev(c, width, text):
    width, text = want_int(width), want_str(text)
    return text if width < 4 else abbreviate(text, 0, width)


def _abbrevboth(c, left, right, text):
    left, right, text = want_int(left), want_int(right), want_str(text)
    return text if right < 4 or (left > 0 and right < 7) else abbreviate(text, left, right)


SPRIG_TEXT: dict[str, Callable] = {
    "title": _s1(title), "untitle": _s1(untitle), "swapcase": _s1(swapcase), "initials": _s1(initials),
    "nospace": _s1(nospace), "snakecase": _s1(snakecase), "kebabcase": _s1(kebabcase), "camelcase": _s1(camelcase),
    "repeat": lambda c, n, s: want_str(s) * max(want_int(n), 0),
    "substr": lambda c, a, b, s: substr(want_int(a), want_int(b), want_str(s)),
    "abbrev": _abbrev, "abbrevboth": _abbrevboth,
    "wrap": lambda c, n, s: wrap_custom(want_str(s), want_int(n)),
    "wrapWith": lambda c, n, sep, s: wrap_custom(want_str(s), want_int(n), want_str(sep), True),
    "plural": lambda c, one, many, n: want_str(one) if want_int(n) == 1 else want_str(many),
    "cat": _cat,
    "regexQuoteMeta": _s1(lambda s: re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s)),
    **_regex_functions(False), **_regex_functions(True),
    "b32enc": _s1(lambda s: base64.b32encode(s.encode()).decode()), "b32dec": _s1(b32dec),
    "sha1sum": _s1(_digest("sha1")), "sha256sum": _s1(_digest("sha256")), "sha512sum": _s1(_digest("sha512")),
    "adler32sum": _s1(adler32sum),
}
