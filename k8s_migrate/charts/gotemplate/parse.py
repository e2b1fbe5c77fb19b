"""Lexer and parser for Go text/template: text, actions with trim markers, comments, control structures."""

from __future__ import annotations

import re
from typing import Any

from .govalue import TemplateError

KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}
_SPACE = " \t\r\n"
_NUMBER = re.compile(r"[-+]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|"
                     r"(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][-+]?\d+)?)(i?)")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACES = re.compile(r"[ \t\r\n]+")
_QUOTED = re.compile(r'"((?:\\.|[^"\\\n])*)"')
_CHAR = re.compile(r"'(\\.[0-9a-fA-F]*|[^'\\])'")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v", "0": "\0"}


# ---- nodes ----------------------------------------------------------------------------------------

class Node:
    """A token or parse node: its fields are its slots, compared and shown as a dataclass's are (plain classes:
    the dataclass decorator costs most of this module's import, which every render pays)."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable, as an eq dataclass

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self.__slots__)})"

    def __reduce__(self) -> tuple[type, tuple]:
        """A call of the class with its fields, in its slots' order (each __init__ takes them so): a chart's parses
        kept in the render cache unpickle in half the time it took to restore each slot by name."""
        return type(self), tuple(getattr(self, f) for f in self.__slots__)


class Token(Node):
    __slots__ = ("kind", "value", "spaced", "line")

    def __init__(self, kind: str, value: Any, spaced: bool, line: int):
        # kind: string number char bool nil dot field var ident keyword ( ) | , := =; spaced: whitespace before it
        self.kind, self.value, self.spaced, self.line = kind, value, spaced, line


class Field(Node):             # .A.B on dot
    __slots__ = ("names",)

    def __init__(self, names: list[str]):
        self.names = names


class Variable(Node):          # $x.A.B
    __slots__ = ("name", "names")

    def __init__(self, name: str, names: list[str]):
        self.name, self.names = name, names


class Chain(Node):             # (pipeline).A.B
    __slots__ = ("node", "names")

    def __init__(self, node: Any, names: list[str]):
        self.node, self.names = node, names


class Ident(Node):             # a function name
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Literal(Node):           # string, number, bool, nil
    __slots__ = ("value", "is_nil")

    def __init__(self, value: Any, is_nil: bool = False):
        self.value, self.is_nil = value, is_nil


class Dot(Node):
    __slots__ = ()


class Command(Node):
    __slots__ = ("args",)

    def __init__(self, args: list[Any]):
        self.args = args


class Pipe(Node):
    __slots__ = ("line", "decl", "is_assign", "cmds")

    def __init__(self, line: int, decl: list[str] | None = None, is_assign: bool = False,
                 cmds: list[Command] | None = None):
        self.line, self.is_assign = line, is_assign
        self.decl: list[str] = [] if decl is None else decl
        self.cmds: list[Command] = [] if cmds is None else cmds


class Text(Node):
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class Action(Node):
    __slots__ = ("line", "pipe")

    def __init__(self, line: int, pipe: Pipe):
        self.line, self.pipe = line, pipe


class Branch(Node):            # if / range / with
    __slots__ = ("kind", "line", "pipe", "body", "else_body")

    def __init__(self, kind: str, line: int, pipe: Pipe, body: list, else_body: list | None):
        self.kind, self.line, self.pipe, self.body, self.else_body = kind, line, pipe, body, else_body


class TemplateCall(Node):
    __slots__ = ("line", "name", "pipe")

    def __init__(self, line: int, name: str, pipe: Pipe | None):
        self.line, self.name, self.pipe = line, name, pipe


class LoopControl(Node):       # break / continue
    __slots__ = ("kind", "line")

    def __init__(self, kind: str, line: int):
        self.kind, self.line = kind, line


# ---- lexer ---------------------------------------------------------------------------------------

def _unquote(body: str, line: int, name: str) -> str:
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[nxt]
            out.append(chr(int(body[i + 2:i + 2 + size], 16)))
            i += 2 + size
        else:
            raise TemplateError(f"invalid syntax: unknown escape \\{nxt}", name, line)
    return "".join(out)


def _number(text: str, line: int, name: str) -> int | float:
    clean = text.replace("_", "")
    if clean.endswith("i"):
        raise TemplateError(f"complex number {text} is not supported", name, line)
    try:
        return int(clean, 0)
    except ValueError:
        pass
    try:
        return float(clean)
    except ValueError:
        raise TemplateError(f"bad number syntax: {text!r}", name, line) from None


class _Lexer:
    def __init__(self, text: str, name: str):
        self.text = text
        self.name = name
        self.pos = 0
        self.line = 1

    def advance_to(self, pos: int) -> None:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos

    def items(self):
        """Yield ('text', str) and ('action', [Token], line) in order, trim markers applied."""
        text = self.text
        trim_next = False
        while True:
            start = text.find("{{", self.pos)
            chunk = text[self.pos:] if start < 0 else text[self.pos:start]
            left_trim = start >= 0 and text[start + 2:start + 3] == "-" and text[start + 3:start + 4] in _SPACE \
                and start + 3 < len(text)
            if trim_next:
                chunk = chunk.lstrip(_SPACE)
            if left_trim:
                chunk = chunk.rstrip(_SPACE)
            if chunk:
                yield ("text", chunk)
            if start < 0:
                return
            self.advance_to(start)
            line = self.line
            self.advance_to(start + (3 if left_trim else 2))
            tokens, trim_next = self._action(line)
            if tokens is not None:
                yield ("action", tokens, line)

    def _end_of_action(self) -> tuple[bool, bool]:
        """At the current position: (is end, has right-trim marker); consumes the delimiter."""
        text, pos = self.text, self.pos
        if text.startswith("}}", pos):
            self.advance_to(pos + 2)
            return True, False
        if text[pos:pos + 1] in _SPACE:
            end = pos
            while end < len(text) and text[end] in _SPACE:
                end += 1
            if text.startswith("-}}", end):
                self.advance_to(end + 3)
                return True, True
        return False, False

    def _action(self, line: int) -> tuple[list[Token] | None, bool]:
        text = self.text
        probe = self.pos
        while probe < len(text) and text[probe] in _SPACE:
            probe += 1
        if text.startswith("/*", probe):
            close = text.find("*/", probe + 2)
            if close < 0:
                raise TemplateError("unclosed comment", self.name, line)
            self.advance_to(close + 2)
            done, trim = self._end_of_action()
            if not done:
                raise TemplateError("comment ends before closing delimiter", self.name, line)
            return None, trim
        tokens: list[Token] = []
        spaced = True
        while True:
            pos = self.pos
            if pos >= len(text):
                raise TemplateError("unclosed action", self.name, line)
            if text.startswith("}}", pos):
                self.advance_to(pos + 2)
                return tokens, False
            ch = text[pos]
            if ch in _SPACE:
                spaces = _SPACES.match(text, pos)
                assert spaces is not None, "ch is a space, so the run matches"
                end = spaces.end()
                if text.startswith("-}}", end):
                    self.advance_to(end + 3)
                    return tokens, True
                self.advance_to(end)
                spaced = True
                continue
            tokens.append(self._token(ch, spaced))
            spaced = False

    def _token(self, ch: str, spaced: bool) -> Token:
        if ch in "\"`'":
            return self._quoted(ch, spaced)
        text, pos, line = self.text, self.pos, self.line
        if text.startswith(":=", pos):
            self.advance_to(pos + 2)
            return Token(":=", ":=", spaced, line)
        if ch in "()|,=":
            self.advance_to(pos + 1)
            return Token(ch, ch, spaced, line)
        if ch == "$":
            match = _IDENT.match(text, pos + 1)
            end = match.end() if match else pos + 1
            self.advance_to(end)
            return Token("var", text[pos:end], spaced, line)
        if ch == "." and not text[pos + 1:pos + 2].isdigit():
            match = _IDENT.match(text, pos + 1)
            if match:
                self.advance_to(match.end())
                return Token("field", match.group(0), spaced, line)
            self.advance_to(pos + 1)
            return Token("dot", ".", spaced, line)
        match = _NUMBER.match(text, pos)
        if match and (ch.isdigit() or ch in "+-."):
            self.advance_to(match.end())
            return Token("number", _number(match.group(0), line, self.name), spaced, line)
        match = _IDENT.match(text, pos)
        if match:
            self.advance_to(match.end())
            word = match.group(0)
            if word in ("true", "false"):
                return Token("bool", word == "true", spaced, line)
            if word == "nil":
                return Token("nil", None, spaced, line)
            return Token("keyword" if word in KEYWORDS else "ident", word, spaced, line)
        raise TemplateError(f"unexpected {ch!r} in command", self.name, line)

    def _quoted(self, ch: str, spaced: bool) -> Token:
        """A string, raw string or character constant, opened by ``ch``."""
        text, pos, line = self.text, self.pos, self.line
        if ch == '"':
            match = _QUOTED.match(text, pos)
            if not match:
                raise TemplateError("unterminated quoted string", self.name, line)
            self.advance_to(match.end())
            return Token("string", _unquote(match.group(1), line, self.name), spaced, line)
        if ch == "`":
            close = text.find("`", pos + 1)
            if close < 0:
                raise TemplateError("unterminated raw quoted string", self.name, line)
            self.advance_to(close + 1)
            return Token("string", text[pos + 1:close], spaced, line)
        match = _CHAR.match(text, pos)  # ch is "'"
        if not match:
            raise TemplateError("unterminated character constant", self.name, line)
        self.advance_to(match.end())
        return Token("number", ord(_unquote(match.group(1), line, self.name)), spaced, line)


# ---- parser --------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str, name: str):
        self.name = name
        self.items = list(_Lexer(text, name).items())
        self.index = 0
        self.defines: dict[str, list] = {}

    def error(self, message: str, line: int) -> TemplateError:
        return TemplateError(message, self.name, line)

    def parse(self) -> list:
        nodes, end = self.parse_list(top=True)
        return nodes

    def parse_block(self) -> tuple[list, tuple]:
        """The nodes up to the `end` or `else` that closes a block (parse_list raises at EOF below the top)."""
        nodes, end = self.parse_list()
        assert end is not None, "parse_list(top=False) ends at end/else or raises"
        return nodes, end

    def parse_list(self, top: bool = False) -> tuple[list, tuple | None]:
        """Parse until `end` or `else`; return the nodes and the terminating (keyword, tokens, line)."""
        nodes: list = []
        while self.index < len(self.items):
            item = self.items[self.index]
            self.index += 1
            if item[0] == "text":
                nodes.append(Text(item[1]))
                continue
            _, tokens, line = item
            if not tokens:
                raise self.error("missing value for command", line)
            head = tokens[0]
            if head.kind == "keyword":
                word = head.value
                if word in ("end", "else"):
                    if top:
                        raise self.error(f"unexpected {{{{{word}}}}}", line)
                    return nodes, (word, tokens[1:], line)
                nodes.extend(self.keyword(word, tokens[1:], line, top))
            else:
                nodes.append(Action(line, self.pipeline(tokens, line)))
        if not top:
            raise self.error("unexpected EOF", self.items[-1][2] if self.items and self.items[-1][0] == "action" else 1)
        return nodes, None

    def keyword(self, word: str, rest: list[Token], line: int, top: bool) -> list:
        if word in ("if", "range", "with"):
            return [self.branch(word, rest, line)]
        if word in ("break", "continue"):
            return [LoopControl(word, line)]
        if word in ("define", "block", "template"):
            if not rest or rest[0].kind != "string":
                raise self.error(f"unexpected token in {word} clause: expected quoted name", line)
            name = rest[0].value
            pipe = self.pipeline(rest[1:], line) if len(rest) > 1 else None
            if word == "template":
                return [TemplateCall(line, name, pipe)]
            if word == "define" and not top:
                raise self.error("unexpected <define> in command", line)
            body, end = self.parse_block()
            if end[0] != "end":
                raise self.error(f"unexpected {{{{else}}}} in {word}", end[2])
            self.defines[name] = body
            return [TemplateCall(line, name, pipe)] if word == "block" else []
        raise self.error(f"unexpected keyword {word}", line)

    def branch(self, kind: str, rest: list[Token], line: int) -> Branch:
        pipe = self.pipeline(rest, line, allow_decl=True, range_decl=(kind == "range"))
        body, end = self.parse_block()
        else_body = None
        if end[0] == "else":
            else_tokens, else_line = end[1], end[2]
            if else_tokens and else_tokens[0].kind == "keyword" and else_tokens[0].value in ("if", "with"):
                if else_tokens[0].value != kind:
                    raise self.error(f"else {else_tokens[0].value} inside {kind}", else_line)
                # {{else if x}} is {{else}}{{if x}} ... sharing one {{end}}
                else_body = [self.branch(kind, else_tokens[1:], else_line)]
                return Branch(kind, line, pipe, body, else_body)
            if else_tokens:
                raise self.error("unexpected tokens after else", else_line)
            else_body, end = self.parse_block()
            if end[0] != "end":
                raise self.error("expected end; found else", end[2])
        if end[1]:
            raise self.error("unexpected tokens after end", end[2])
        return Branch(kind, line, pipe, body, else_body)

    def pipeline(self, tokens: list[Token], line: int, allow_decl: bool = True, range_decl: bool = False) -> Pipe:
        pipe = Pipe(line)
        pos = 0
        if allow_decl and tokens and tokens[0].kind == "var":
            names = [tokens[0].value]
            probe = 1
            if range_decl and len(tokens) > 3 and tokens[1].kind == "," and tokens[2].kind == "var":
                names.append(tokens[2].value)
                probe = 3
            if probe < len(tokens) and tokens[probe].kind in (":=", "="):
                pipe.decl = names
                pipe.is_assign = tokens[probe].kind == "="
                pos = probe + 1
        cmds = self.split_commands(tokens[pos:], line)
        pipe.cmds = [Command(self.operands(c, line)) for c in cmds]
        if not pipe.cmds:
            raise self.error("missing value for command", line)
        return pipe

    def split_commands(self, tokens: list[Token], line: int) -> list[list[Token]]:
        cmds: list[list[Token]] = []
        current: list[Token] = []
        depth = 0
        for tok in tokens:
            if tok.kind == "(":
                depth += 1
            elif tok.kind == ")":
                depth -= 1
                if depth < 0:
                    raise self.error("unexpected right paren", line)
            if tok.kind == "|" and depth == 0:
                if not current:
                    raise self.error("missing command", line)
                cmds.append(current)
                current = []
            else:
                current.append(tok)
        if depth:
            raise self.error("unclosed left paren", line)
        if current:
            cmds.append(current)
        elif cmds:
            raise self.error("missing command", line)
        return cmds

    def operands(self, tokens: list[Token], line: int) -> list:
        args, pos = [], 0
        while pos < len(tokens):
            node, pos = self.operand(tokens, pos, line)
            args.append(node)
        return args

    def operand(self, tokens: list[Token], pos: int, line: int) -> tuple[Any, int]:
        node: Pipe | Dot | Ident | Literal
        tok = tokens[pos]
        pos += 1
        if tok.kind == "(":
            depth, end = 1, pos
            while depth:
                depth += {"(": 1, ")": -1}.get(tokens[end].kind, 0)
                end += 1
            node = self.pipeline(tokens[pos:end - 1], line, allow_decl=False)
            pos = end
        elif tok.kind == "field":
            names = [tok.value]
            while pos < len(tokens) and tokens[pos].kind == "field" and not tokens[pos].spaced:
                names.append(tokens[pos].value)
                pos += 1
            return Field(names), pos
        elif tok.kind == "var":
            names = []
            while pos < len(tokens) and tokens[pos].kind == "field" and not tokens[pos].spaced:
                names.append(tokens[pos].value)
                pos += 1
            return Variable(tok.value, names), pos
        elif tok.kind == "dot":
            node = Dot()
        elif tok.kind == "ident":
            node = Ident(tok.value)
        elif tok.kind in ("string", "number", "bool"):
            node = Literal(tok.value)
        elif tok.kind == "nil":
            node = Literal(None, is_nil=True)
        else:
            raise self.error(f"unexpected {tok.value!r} in operand", line)
        names = []
        while pos < len(tokens) and tokens[pos].kind == "field" and not tokens[pos].spaced:
            names.append(tokens[pos].value)
            pos += 1
        return (Chain(node, names) if names else node), pos


def parse(text: str, name: str) -> tuple[list, dict[str, list]]:
    """Parse a template: its top-level nodes and the templates it defines."""
    parser = _Parser(text, name)
    nodes = parser.parse()
    return nodes, parser.defines
