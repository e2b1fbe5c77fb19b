"""Reading YAML strictly and failing cleanly.

ruamel.yaml's round-trip loader accepts some documents that YAML 1.2 forbids (yaml-test-suite's error cases
SU5Z, 9JBA, CVW2, 9C9N, QB6E, DK95/01, Y79Y/003, G5U8, YJV2, U99R, 9HCY, EB22, RHX7, MUS6/01), and fails on
some inputs with errors that name no line (AssertionError, NotImplementedError, RecursionError). ``load_all``
runs a lexical check over ruamel's own token stream first, then the round-trip load, and turns every failure
into one UsageError naming the file and line. See README "Strict parsing" for the comparison that chose this.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

from ..errors import UsageError

# A configuration file nests a few dozen levels at most; deeper input is refused before a recursive reader
# (ruamel's composer, the hub walk) runs out of stack.
MAX_DEPTH = 100

_FLOW_INDICATORS = set(",[]{}")
_CLOSERS_ONLY = re.compile(r"^\s*[\]},\s]*$")


class LexicalProblem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class LexicalCheck:
    """Fed ruamel's tokens one by one (from the round-trip load's own scanner, so the text is scanned once);
    raises LexicalProblem at the first token that breaks a YAML 1.2 rule ruamel lets through."""

    def __init__(self, text: str):
        from ruamel.yaml import tokens

        self.t = tokens
        self.lines = text.split("\n")
        self.blocks: list[int] = []  # the column of each open block collection
        self.flow_level, self.flow_start, self.flow_owner = 0, 0, -1
        self.document_open = False
        self._indicators = (tokens.KeyToken, tokens.ValueToken, tokens.BlockEntryToken)

    def feed(self, token) -> None:
        kind = type(token)
        if kind in self._indicators or (kind is self.t.ScalarToken and not self.flow_level and (
                token.style not in ("'", '"') or token.end_mark.line == token.start_mark.line)):
            problem = self._plain_problem(token)  # most tokens: what _problem finds in them, without its dispatch
        else:
            problem = self._problem(token)
        if problem:
            raise LexicalProblem(*problem)

    def _plain_problem(self, token) -> tuple[int, str] | None:
        """_problem of a key or value indicator, a block entry, or a block scalar on one line (or plain)."""
        self.document_open = True
        return self._depth_or_comment_problem(token.start_mark, token.end_mark)

    def _problem(self, token) -> tuple[int, str] | None:
        t = self.t
        if isinstance(token, t.CommentToken):
            return None
        if problem := self._nesting_problem(token) or self._content_problem(token):
            return problem
        if isinstance(token, t.DocumentEndToken):
            self.document_open = False
        elif not isinstance(token, (t.StreamStartToken, t.StreamEndToken, t.DirectiveToken)):
            self.document_open = True
        return self._depth_or_comment_problem(token.start_mark, token.end_mark)

    def _depth_or_comment_problem(self, start, end) -> tuple[int, str] | None:
        """Any token: nested too deep, or followed by a '#' with no whitespace before it."""
        if len(self.blocks) + self.flow_level > MAX_DEPTH:
            return start.line + 1, f"nested more than {MAX_DEPTH} levels deep; not a configuration file"
        if end.index > start.index:
            return _comment_without_space(self.lines, end)
        return None

    def _nesting_problem(self, token) -> tuple[int, str] | None:
        """Block and flow collections opening and closing (a flow collection's lines checked at its end)."""
        t, lines, blocks = self.t, self.lines, self.blocks
        start, end = token.start_mark, token.end_mark
        if isinstance(token, (t.BlockMappingStartToken, t.BlockSequenceStartToken)):
            blocks.append(start.column)
        elif isinstance(token, t.BlockEndToken) and blocks:
            blocks.pop()
        elif isinstance(token, (t.FlowSequenceStartToken, t.FlowMappingStartToken)):
            if self.flow_level == 0:
                self.flow_start, self.flow_owner = start.line, blocks[-1] if blocks else -1
            self.flow_level += 1
        elif isinstance(token, (t.FlowSequenceEndToken, t.FlowMappingEndToken)):
            self.flow_level = max(0, self.flow_level - 1)
            if self.flow_level == 0 and (
                    problem := _underindented(lines, self.flow_start, end.line, self.flow_owner, "flow collection")):
                return problem
        return None

    def _content_problem(self, token) -> tuple[int, str] | None:
        """Scalars, tags and directives."""
        t, lines, blocks = self.t, self.lines, self.blocks
        start, end = token.start_mark, token.end_mark
        if isinstance(token, t.ScalarToken):
            if token.style in ("'", '"') and self.flow_level == 0 and end.line > start.line:
                owner = blocks[-1] if blocks else -1
                if problem := _underindented(lines, start.line, end.line, owner, "quoted scalar"):
                    return problem
            if self.flow_level and token.plain and (token.value == "-" or token.value.startswith("- ")):
                return start.line + 1, "a plain '-' inside a flow collection; quote it"
        elif isinstance(token, t.TagToken):
            handle, suffix = token.value
            if handle is not None and _FLOW_INDICATORS & set(suffix or ""):  # a verbatim !<...> tag may
                return (start.line + 1,
                        f"invalid tag {(handle or '') + (suffix or '')!r}: a tag cannot hold , [ ] {{ }}")
        elif isinstance(token, t.DirectiveToken):
            if self.document_open:
                return start.line + 1, "a directive after a document needs the document end marker '...' first"
            if token.name == "YAML" and tuple(token.value) not in ((1, 1), (1, 2)):
                major, minor = token.value
                return (start.line + 1,
                        f"unsupported YAML version {major}.{minor} (%YAML directive); 1.1 and 1.2 are read")
        return None


def check_with_c_scanner(text: str, parser: type) -> None:
    """The lexical check over the tokens of ruamel's C scanner (``parser``: ruamel.yaml.main.CParser), for the
    readers that build their data from the C parser's events; raises LexicalProblem."""
    check = LexicalCheck(text)
    scanner = parser(text)
    while scanner.check_token():
        check.feed(scanner.get_token())


def _comment_without_space(lines: list[str], end) -> tuple[int, str] | None:
    if end.column and end.line < len(lines) and lines[end.line][end.column:end.column + 1] == "#":
        return end.line + 1, "a comment needs whitespace before '#'"
    return None


def _underindented(lines: list[str], first: int, last: int, owner: int, what: str) -> tuple[int, str] | None:
    """A flow collection or quoted scalar that continues over lines must indent them past its block."""
    for number in range(first + 1, last + 1):
        line = lines[number] if number < len(lines) else ""
        if _CLOSERS_ONLY.match(line) or line.lstrip(" \t").startswith("#"):
            continue
        if len(line) - len(line.lstrip(" ")) <= owner:
            return (number + 1,
                    f"this line of a multi-line {what} must be indented more than its block (column {owner + 1})")
    return None


def _every_document(yaml: Any, text: str) -> list[Any]:
    return list(yaml.load_all(text))


def load_all(yaml: Any, text: str, name: str, load: Callable[[Any, str], Any] = _every_document) -> Any:
    """``load(yaml, text)`` (by default every document of ``text``) with the round-trip ``yaml``, its tokens
    checked on the way by LexicalCheck; any failure is one UsageError naming the file and line."""
    check = LexicalCheck(text)
    base = yaml.Scanner

    class CheckedScanner(base):  # type: ignore[misc, valid-type]
        def get_token(self):
            token = super().get_token()
            check.feed(token)
            return token

    _use_scanner(yaml, CheckedScanner)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a reused anchor is valid YAML; ruamel's warning is not ours to print
            return load(yaml, text)
    except LexicalProblem as problem:
        raise UsageError(f"invalid YAML: {problem.message}", name, problem.line) from None
    except RecursionError:
        raise UsageError(f"invalid YAML: nested more than {MAX_DEPTH} levels deep; not a configuration file",
                         name, 1) from None
    except Exception as exc:  # ruamel raises assorted errors on input it cannot keep
        _use_scanner(yaml, base)
        raise _usage_error(exc, text, name, lambda part: load(yaml, part)) from None
    finally:
        _use_scanner(yaml, base)


def _use_scanner(yaml: Any, scanner: type) -> None:
    """Set the scanner class and drop the instance ruamel keeps from an earlier load (it would be reused)."""
    yaml.Scanner = scanner
    if hasattr(yaml, "_scanner"):
        del yaml._scanner


def _usage_error(exc: Exception, text: str, name: str, reload=None) -> UsageError:
    from ruamel.yaml.error import YAMLError

    if isinstance(exc, YAMLError):
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = _mask_quoted_source(str(getattr(exc, "problem", None) or str(exc).splitlines()[0]))
        line = mark.line + 1 if mark else _line_of_position(text, getattr(exc, "position", None))
        if _libyaml_reads(text):  # valid YAML the pure-Python scanner refuses (a block scalar's leading blank line)
            return UsageError(f"YAML that the round-trip reader cannot keep ({type(exc).__name__}: {problem}); "
                              "simplify the construct at this line", name, line)
        return UsageError(f"invalid YAML: {problem}", name, line)
    if isinstance(exc, RecursionError):
        return UsageError(f"invalid YAML: nested more than {MAX_DEPTH} levels deep; not a configuration file", name, 1)
    line = _failing_line(text, type(exc), reload) if reload else None
    what = " ".join(str(exc).split()).split(" [")[0][:80]
    return UsageError(f"YAML that the round-trip reader cannot keep ({type(exc).__name__}: {what}); "
                      "simplify the construct at this line", name, line)


def _libyaml_reads(text: str) -> bool:
    """Does libyaml (ruamel's C parser) parse every event of ``text``?"""
    from ruamel.yaml.main import CParser

    if CParser is None:  # ruamel.yaml.clib is not installed
        return False
    parser = CParser(text)
    try:
        while parser.check_event():
            parser.get_event()
    except Exception:  # noqa: BLE001 - any refusal of libyaml's: the text is not valid YAML to it either
        return False
    finally:
        parser.dispose()
    return True


def _line_of_position(text: str, position: int | None) -> int | None:
    return text.count("\n", 0, position) + 1 if isinstance(position, int) else None


_QUOTED_VALUE = re.compile(r'\s*(?:with value|\(original value:)\s*"[^"\\]*(?:\\.[^"\\]*)*"\)?')


def _mask_quoted_source(problem: str) -> str:
    """The problem without the values or source lines ruamel quotes: those may be secrets."""
    return _QUOTED_VALUE.sub("", problem.split("\n")[0])


def _failing_line(text: str, kind: type[Exception], reload) -> int | None:
    """The first line at which the document's prefix fails the same way (the error names no line)."""
    lines = text.splitlines(keepends=True)

    def fails(count: int) -> bool:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reload("".join(lines[:count]))
        except kind:
            return True
        except Exception:
            return False
        return False

    low, high = 1, len(lines)
    if not lines or not fails(high):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if fails(middle) else (middle + 1, high)
    return low
