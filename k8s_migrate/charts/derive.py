"""Derive a chart map by reading a chart's Go-templated deployment.toml (a static analysis, no rendering).

The analyser walks the template once, keeping a stack of ``if``/``range``/``with`` blocks.  Every
output action that reads ``.Values`` becomes a link between a values path and the TOML key of the
line it sits on.  Every ``.Values`` reference is accounted for: it feeds a link, sits in a guard,
sits in a TOML comment, or goes to ``unmapped`` with a reason.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ruamel.yaml import YAML

from k8s_migrate.hub import ANY_ITEM, ANY_KEY, KeyPath, KeyPathError, format_key, parse_key

ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
VALUES_REF = re.compile(r"\$?\.Values((?:\.[A-Za-z0-9_-]+)+)")
VAR_REF = re.compile(r"\$([A-Za-z_]\w*)((?:\.[A-Za-z0-9_-]+)*)")
DOT_REF = re.compile(r"(?<![\w$)\].])\.([A-Za-z_][\w-]*(?:\.[A-Za-z0-9_-]+)*)")
ROOT_OBJECTS = ("Values", "Release", "Chart", "Files", "Capabilities", "Template")
CONTROL_WORDS = ("if", "else", "end", "range", "with", "define", "block")
CONFIGMAP_TOML_KEY = re.compile(r"^(\s*)deployment\.toml:\s*\|[-+]?\s*$")
MARK = "\x00{}\x00"
MARK_RE = re.compile("\x00(\\d+)\x00")
TOML_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


# ---------------------------------------------------------------- template tokens


@dataclass
class Frame:
    kind: str  # if | range | with | define
    line: int
    conds: tuple[str, ...] = ()  # guard texts that hold inside this frame
    source: KeyPath | None = None  # range/with: the values path iterated or entered
    elem: KeyPath | None = None  # range: path of one element; with: the entered path
    vars: dict[str, tuple[str, KeyPath | None]] = field(default_factory=dict)
    chain: tuple[str, ...] = ()  # if: the conditions of earlier branches
    literal_source: bool = False  # range: its source is a literal .Values path
    in_region: bool = True
    used: bool = False
    parent: "Frame | None" = None  # range/with: the frame whose variable or dot gave the source


@dataclass
class Part:
    text: str | None  # literal text, or None for an output action
    expr: str = ""
    line: int = 0
    stack: tuple[Frame, ...] = ()
    index: int = 0


def strip_strings(expr: str) -> str:
    return STRING_LITERAL.sub('""', expr)


def action_word(expr: str) -> str:
    m = re.match(r"\s*([A-Za-z_]\w*|/\*)", expr)
    return m.group(1) if m else ""


def is_assignment(expr: str) -> bool:
    return bool(re.match(r"\s*\$\w+\s*:?=", expr))


# ---------------------------------------------------------------- value references


@dataclass
class Ref:
    path: KeyPath
    role: str  # value | key | index
    frame: Frame | None = None  # range frame that gives the path a wildcard


def lookup_scope(stack: tuple[Frame, ...]) -> tuple[dict[str, tuple[str, KeyPath | None, Frame]],
                                                    tuple[KeyPath | None, Frame | None]]:
    variables: dict[str, tuple[str, KeyPath | None, Frame]] = {}
    dot: tuple[KeyPath | None, Frame | None] = ((), None)
    for frame in stack:
        for name, (role, path) in frame.vars.items():
            variables[name] = (role, path, frame)
        if frame.kind in ("range", "with") and not frame.vars.get("__keepdot__"):
            dot = (frame.elem, frame)
    return variables, dot


def split_field(fields: str) -> KeyPath:
    return tuple(f for f in fields.split(".") if f)


def find_refs(expr: str, stack: tuple[Frame, ...]) -> list[Ref]:
    """The values paths an action expression reads, resolved through range/with scopes."""
    text = strip_strings(expr)
    variables, (dot_path, dot_frame) = lookup_scope(stack)
    refs: list[Ref] = []
    for m in VALUES_REF.finditer(text):
        refs.append(Ref(split_field(m.group(1)), "value"))
    text = VALUES_REF.sub(" ", text)
    for m in VAR_REF.finditer(text):
        name, fields = m.group(1), split_field(m.group(2))
        if name not in variables:
            continue
        role, path, frame = variables[name]
        if path is None:
            continue
        refs.append(Ref(path + fields, role, frame))
    text = VAR_REF.sub(" ", text)
    if dot_path is not None and dot_frame is not None:
        for m in DOT_REF.finditer(text):
            fields = split_field(m.group(1))
            if fields[0] in ROOT_OBJECTS:
                continue
            refs.append(Ref(dot_path + fields, "value", dot_frame))
        if re.fullmatch(r"\s*\.\s*(\|.*)?", text) or re.fullmatch(r"\s*\w+\s+\.\s*", text):
            refs.append(Ref(dot_path, "value", dot_frame))
    return refs


def reads_data(expr: str) -> bool:
    """Does an expression read a variable or a field (other than the root objects and range indexes)?"""
    text = strip_strings(expr)
    if re.search(r"\$\w", text):
        return not re.fullmatch(r"\s*\$(index|i|idx|len|key|k)\s*", text)
    fields = [m.group(1).split(".")[0] for m in DOT_REF.finditer(text)]
    return any(f not in ROOT_OBJECTS for f in fields)


def filter_text(expr: str) -> str | None:
    """The functions an output action applies around its reference (``quote``, ``toJson``, ``add 9443``)."""
    commands = [c.strip() for c in re.split(r"\|(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", expr)]
    names: list[str] = []
    for command in commands:
        words = [w for w in re.findall(r'"(?:[^"\\]|\\.)*"|\S+', command)]
        kept = [w for w in words if not re.match(r"^(\$|\.)", w) or w.startswith('"')]
        if kept:
            names.append(" ".join(kept))
    return " | ".join(names) or None


# ---------------------------------------------------------------- the values defaults


def load_yaml(path: Path) -> Any:
    yaml = YAML(typ="safe", pure=True)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh)


def flatten_values(node: Any, prefix: KeyPath = ()) -> dict[str, Any]:
    """Values defaults as facts: path -> scalar or list of scalars; lists of maps get [i]."""
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        if not node and prefix:
            out[format_key(prefix)] = {}
        for key, value in node.items():
            out.update(flatten_values(value, prefix + (str(key),)))
    elif isinstance(node, list) and any(isinstance(item, (dict, list)) for item in node):
        for i, item in enumerate(node):
            out.update(flatten_values(item, prefix + (i,)))
    elif prefix:
        out[format_key(prefix)] = jsonable(node)
    return out


def jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def default_at(values: Any, path: KeyPath) -> Any:
    node = values
    for seg in path:
        if isinstance(node, dict) and isinstance(seg, str) and seg in node:
            node = node[seg]
        elif isinstance(node, dict) and seg == ANY_KEY and node:
            node = next(iter(node.values()))
        elif isinstance(node, list) and isinstance(seg, int) and node:
            node = node[0]
        else:
            return None
    return node


# ---------------------------------------------------------------- the analyser


@dataclass
class TemplateSource:
    """One deployment.toml template: a confs/ file, or the inline block of a ConfigMap template."""

    path: Path
    rel: str  # path inside the chart
    instance: str
    configmap: bool = False


class Analysis:
    def __init__(self, source: TemplateSource, values: Any):
        self.source = source
        self.values = values
        self.links: list[dict[str, Any]] = []
        self.unmapped: list[dict[str, Any]] = []
        self.guards: list[dict[str, Any]] = []
        self.commented: list[dict[str, Any]] = []
        self.constants: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []  # fail calls: {"message", "guard", "instance", "line"}
        self.refs: list[dict[str, Any]] = []  # one per .Values occurrence: {"line", "status"}
        self.keys: dict[str, str] = {}  # toml key -> mapped | constant | unmapped
        self.table: KeyPath = ()
        self.array_items: dict[KeyPath, int] = {}
        self.array_counts: dict[KeyPath, int] = {}
        self.closed_ranges: list[Frame] = []  # judged once the line they close on is read

    # ---- bookkeeping

    def record_ref(self, line: int, status: str) -> int:
        self.refs.append({"line": line, "status": status})
        return len(self.refs) - 1

    def add_unmapped(self, line: int, text: str, reason: str, values: list[str] | None = None) -> None:
        entry: dict[str, Any] = {"file": self.source.rel, "line": line, "text": text.strip(), "reason": reason}
        if values:
            entry["values"] = values
        entry["instance"] = self.source.instance
        self.unmapped.append(entry)

    def mark_key(self, key: str, status: str) -> None:
        """A key seen on several lines (if/else branches) keeps its best status: mapped > constant > unmapped."""
        rank = {"unmapped": 0, "constant": 1, "mapped": 2}
        if key not in self.keys or rank[status] > rank[self.keys[key]]:
            self.keys[key] = status

    # ---- tokens and frames

    def tokens(self, text: str) -> Iterator[tuple[str, str, int]]:
        pos, line = 0, 1
        for m in ACTION.finditer(text):
            if m.start() > pos:
                yield "text", text[pos:m.start()], line
                line += text.count("\n", pos, m.start())
            yield "action", m.group(2).strip(), line
            line += m.group(0).count("\n")
            pos = m.end()
        if pos < len(text):
            yield "text", text[pos:], line

    def open_frame(self, stack: list[Frame], expr: str, line: int, in_region: bool) -> None:
        word = action_word(expr)
        rest = expr[len(word):].strip() if word else expr
        frozen = tuple(stack)
        if word == "if":
            self.note_guard(rest, frozen, line, in_region)
            stack.append(Frame("if", line, conds=(rest,), chain=(rest,)))
        elif word == "else":
            if not stack or stack[-1].kind not in ("if", "with"):
                self.add_unmapped(line, "{{ " + expr + " }}", "else without if")
                return
            prev = stack.pop()
            negated = tuple(f"not ({c})" for c in prev.chain)
            cond = re.sub(r"^if\s+", "", rest) if rest.startswith("if") else ""
            if cond:
                self.note_guard(cond, tuple(stack), line, in_region)
            conds = negated + ((cond,) if cond else ())
            stack.append(Frame("if", line, conds=conds, chain=prev.chain + ((cond,) if cond else ())))
        elif word == "with":
            refs = find_refs(rest, frozen)
            self.note_guard(rest, frozen, line, in_region, refs=refs)
            path = refs[0].path if refs else None
            stack.append(Frame("with", line, conds=(rest,), source=path, elem=path, chain=(rest,)))
        elif word == "range":
            self.open_range(stack, rest, line, in_region)
        elif word in ("define", "block"):
            stack.append(Frame("define", line))
        elif word == "end":
            if stack:
                frame = stack.pop()
                if frame.kind == "range" and frame.source is not None:
                    self.closed_ranges.append(frame)
            else:
                self.add_unmapped(line, "{{ end }}", "end without block")

    def judge_closed_ranges(self) -> None:
        for frame in self.closed_ranges:
            self.close_range(frame)
        self.closed_ranges = []

    def close_range(self, frame: Frame) -> None:
        if frame.used:
            if frame.literal_source:
                self.record_ref(frame.line, "mapped")
        elif frame.in_region:
            if frame.literal_source:
                self.record_ref(frame.line, "unmapped")
            source = format_key(frame.source or ())
            self.add_unmapped(frame.line, "range over " + source, "range body maps no TOML key", [source])

    def open_range(self, stack: list[Frame], rest: str, line: int, in_region: bool) -> None:
        m = re.match(r"^(\$\w+)\s*(?:,\s*(\$\w+)\s*)?:=\s*(.*)$", rest)
        names = [n[1:] for n in (m.group(1), m.group(2)) if n] if m else []
        source_expr = m.group(3) if m else rest
        refs = [r for r in find_refs(source_expr, tuple(stack)) if r.role == "value"]
        source = refs[0].path if refs else None
        frame = Frame("range", line, source=source)
        if source is None:
            frame.vars = {n: ("index", None) for n in names}
            stack.append(frame)
            return
        key_var = names[0] if len(names) == 2 else None
        elem_var = names[-1] if names else None
        default = default_at(self.values, source)
        is_map = isinstance(default, dict) or (default is None and self.key_var_names_keys(key_var, line))
        frame.elem = source + ((ANY_KEY,) if is_map else (ANY_ITEM,))
        if key_var:
            frame.vars[key_var] = ("key", frame.elem) if is_map else ("index", None)
        if elem_var:
            frame.vars[elem_var] = ("value", frame.elem)
        frame.literal_source = refs[0].frame is None
        frame.parent = refs[0].frame
        frame.in_region = in_region
        stack.append(frame)

    def key_var_names_keys(self, key_var: str | None, line: int) -> bool:
        """With no default to look at: is the range's key variable written as a key
        (``{{ $k }} =`` or ``{{ $k }}:``)?"""
        if not key_var:
            return False
        used_as_key = re.compile(r"\{\{-?\s*\$" + key_var + r"\s*-?\}\}\s*[:=]")
        return any(used_as_key.search(text) for text in self.lines[line - 1: line + 5])

    def note_guard(self, cond: str, stack: tuple[Frame, ...], line: int, in_region: bool,
                   refs: list[Ref] | None = None) -> None:
        if not in_region:
            return
        for ref in refs if refs is not None else find_refs(cond, stack):
            if ref.role != "value":
                continue
            self.record_value_ref(ref, line, "guard")
            self.guards.append({"values": format_key(ref.path), "expr": cond, "line": line,
                                "instance": self.source.instance})

    # ---- the walk

    def run(self, text: str) -> None:
        self.lines = text.split("\n")
        region = self.toml_region(text) if self.source.configmap else None
        stack: list[Frame] = []
        line_parts: list[Part] = []
        current_line = 1
        counter = 0
        for kind, body, line in self.tokens(text):
            if kind == "text":
                pieces = body.split("\n")
                for i, piece in enumerate(pieces):
                    if i > 0:
                        self.flush_line(line_parts, current_line, region)
                        self.judge_closed_ranges()
                        line_parts = []
                        current_line = line + i
                    if piece:
                        line_parts.append(Part(piece, line=line + i, stack=tuple(stack)))
                continue
            if not line_parts:
                current_line = line
            in_region = region is None or line in region
            word = action_word(body)
            if body.startswith("/*"):
                continue
            if word in CONTROL_WORDS:
                self.open_frame(stack, body, line, in_region)
                continue
            if is_assignment(body):
                self.note_control(body, tuple(stack), line, in_region)
                continue
            if word == "fail":
                self.note_failure(body, tuple(stack), line, in_region)
                continue
            counter += 1
            line_parts.append(Part(None, expr=body, line=line, stack=tuple(stack), index=counter))
        self.flush_line(line_parts, current_line, region)
        self.judge_closed_ranges()
        for frame in stack:
            self.add_unmapped(frame.line, frame.kind, "block not closed")

    def note_control(self, expr: str, stack: tuple[Frame, ...], line: int, in_region: bool) -> None:
        if not in_region:
            return
        for ref in find_refs(expr.split(":=", 1)[-1], stack):
            if ref.role == "value":
                self.record_value_ref(ref, line, "guard")
                self.guards.append({"values": format_key(ref.path), "expr": expr, "line": line,
                                    "instance": self.source.instance})

    def note_failure(self, expr: str, stack: tuple[Frame, ...], line: int, in_region: bool) -> None:
        """A ``fail`` call: the chart refuses the values when its guard holds (a requirement)."""
        self.note_control(expr, stack, line, in_region)
        m = re.search(r'fail\s+"((?:[^"\\]|\\.)*)"', expr)
        self.failures.append({"message": m.group(1) if m else expr.strip(), "guard": guard_text(stack),
                              "instance": self.source.instance, "line": line})

    def toml_region(self, text: str) -> set[int]:
        """Line numbers of the TOML inside a ConfigMap template's ``deployment.toml: |`` block."""
        lines = text.split("\n")
        region: set[int] = set()
        i = 0
        while i < len(lines):
            m = CONFIGMAP_TOML_KEY.match(lines[i])
            if not m:
                i += 1
                continue
            indent = len(m.group(1))
            i += 1
            while i < len(lines):
                raw = lines[i]
                stripped = raw.strip()
                only_actions = stripped and not ACTION.sub("", stripped).strip()
                if stripped and not only_actions and len(raw) - len(raw.lstrip()) <= indent:
                    break
                region.add(i + 1)
                i += 1
        return region

    # ---- one source line

    def flush_line(self, parts: list[Part], line: int, region: set[int] | None) -> None:
        if not parts:
            return
        if region is not None and line not in region:
            self.outside_region(parts)
            return
        if any(f.kind == "define" for p in parts for f in p.stack):
            return
        outputs = [p for p in parts if p.text is None]
        if not outputs:
            self.literal_line("".join(p.text or "" for p in parts), line, parts[0].stack)
            return
        for action in outputs:
            self.output_action(action, parts, line)

    def outside_region(self, parts: list[Part]) -> None:
        for part in parts:
            if part.text is None and re.search(r"\btpl\b", part.expr):
                for ref in find_refs(part.expr, part.stack):
                    if ref.role == "value":
                        self.record_value_ref(ref, part.line, "mapped")
                        self.use_frame(ref)
                        self.links.append(self.link(ref.path, None, "embedded", part, None, filter_text(part.expr)))

    def use_frame(self, ref: Ref) -> None:
        frame = ref.frame
        while frame is not None:
            frame.used = True
            frame = frame.parent

    def record_value_ref(self, ref: Ref, line: int, status: str) -> None:
        """Count a literal ``.Values`` occurrence; paths reached through a range variable count on the range."""
        if ref.frame is None:
            self.record_ref(line, status)

    def literal_line(self, text: str, line: int, stack: tuple[Frame, ...]) -> None:
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            return
        if self.header(stripped, line, stack):
            return
        key_text, value_text = split_assignment(stripped)
        if key_text is None:
            self.add_unmapped(line, stripped, "not a TOML line")
            return
        key = self.full_key(key_text, line, stripped)
        if key is None:
            return
        value = parse_toml_value(strip_comment(value_text))
        entry = {"toml": key, "value": value, "line": line, "instance": self.source.instance}
        guard = guard_text(stack)
        if guard:
            entry["guard"] = guard
        self.constants.append(entry)
        self.mark_key(key, "constant")

    def header(self, stripped: str, line: int, stack: tuple[Frame, ...]) -> bool:
        m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]\s*(#.*)?$", stripped)
        if m:
            path = self.parse_table(m.group(1), line, stripped)
            if path is None:
                return True
            if any(f.kind == "range" for f in stack):
                item = ANY_ITEM
            else:
                item = self.array_counts.get(path, 0)
                self.array_counts[path] = item + 1
            self.array_items[path] = item
            self.table = self.with_items(path) + (item,)
            return True
        m = re.match(r"^\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$", stripped)
        if m:
            path = self.parse_table(m.group(1), line, stripped)
            if path is not None:
                self.table = self.with_items(path)
            return True
        return False

    def parse_table(self, text: str, line: int, stripped: str) -> KeyPath | None:
        try:
            return parse_key(text)
        except KeyPathError:
            self.add_unmapped(line, stripped, "table header is not a key path")
            self.table = ()
            return None

    def with_items(self, path: KeyPath) -> KeyPath:
        """Insert the current item after each enclosing array of tables (``event_listener[].properties``)."""
        out: KeyPath = ()
        for i, seg in enumerate(path):
            out += (seg,)
            if i + 1 < len(path) and path[: i + 1] in self.array_items:
                out += (self.array_items[path[: i + 1]],)
        return out

    def full_key(self, key_text: str, line: int, stripped: str) -> str | None:
        try:
            return format_key(self.table + parse_key(key_text))
        except KeyPathError:
            self.add_unmapped(line, stripped, "key is not a key path")
            return None

    # ---- an output action on a TOML line

    def output_action(self, action: Part, parts: list[Part], line: int) -> None:
        refs = [r for r in find_refs(action.expr, action.stack) if r.role in ("value", "key")]
        if not refs:
            if reads_data(action.expr) and not find_refs(action.expr, action.stack):
                self.add_unmapped(line, "{{ " + action.expr + " }}", "reference could not be resolved to a values path")
            return  # template/include/println: output that reads no values
        alt = [p for p in parts if compatible(p.stack, action.stack)]
        text = "".join(p.text if p.text is not None else MARK.format(p.index) for p in alt)
        stripped = text.strip()
        if stripped.startswith("#"):
            for ref in refs:
                self.record_value_ref(ref, line, "commented")
                self.commented.append({"values": format_key(ref.path), "line": line,
                                       "text": render_marks(stripped, alt), "instance": self.source.instance})
        elif stripped == MARK.format(action.index):
            self.embedded_toml(action, refs, render_marks(stripped, alt), line)
        else:
            self.assignment(action, refs, alt, stripped, line)

    def embedded_toml(self, action: Part, refs: list[Ref], text: str, line: int) -> None:
        """An action alone on its line pastes TOML text (a key reference there has no value to go with)."""
        for ref in refs:
            self.use_frame(ref)
            if ref.role == "key":
                self.record_value_ref(ref, line, "unmapped")
                self.add_unmapped(line, text, "a key with no value", [format_key(ref.path)])
                continue
            self.record_value_ref(ref, line, "mapped")
            self.links.append(self.link(ref.path, format_key(self.table) if self.table else None, "embedded",
                                        action, None, filter_text(action.expr)))

    def assignment(self, action: Part, refs: list[Ref], alt: list[Part], stripped: str, line: int) -> None:
        """An action in ``key = value``: link each value reference to the TOML key, through the value's pattern."""
        own = MARK.format(action.index)
        key_text, value_text = split_assignment(stripped)
        if key_text is None:
            self.unmapped_refs(refs, line, render_marks(stripped, alt), "action is not in a key or value")
            return
        if own in key_text:
            return  # the key half of `{{ $key }} = {{ $value }}`: linked with its value
        key_path = self.key_path(key_text, alt, action)
        if key_path is None:
            self.unmapped_refs(refs, line, render_marks(stripped, alt), "key could not be read")
            return
        where = locate_hole(strip_comment(value_text), own, alt, action)
        if where is None:
            self.unmapped_refs(refs, line, render_marks(stripped, alt), "value shape not understood")
            return
        suffix, pattern = where
        toml = format_key(key_path + suffix)
        values = [ref for ref in refs if ref.role == "value"]
        for ref in values:
            self.record_value_ref(ref, line, "mapped")
            self.use_frame(ref)
            self.links.append(self.link(ref.path, toml, link_kind(ref.path, key_path, pattern), action, pattern,
                                        filter_text(action.expr)))
        self.mark_key(toml, "mapped" if values else "unmapped")

    def unmapped_refs(self, refs: list[Ref], line: int, text: str, why: str) -> None:
        for ref in refs:
            self.record_value_ref(ref, line, "unmapped")
            self.add_unmapped(line, text, why, [format_key(ref.path)])

    def key_path(self, key_text: str, alt: list[Part], action: Part) -> KeyPath | None:
        segments: list[str | int] = []
        for piece in re.split(r"\.(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", key_text.strip()):
            m = MARK_RE.fullmatch(piece.strip())
            if m:
                part = next(p for p in alt if p.index == int(m.group(1)))
                refs = find_refs(part.expr, part.stack)
                if not any(r.role == "key" for r in refs):
                    return None
                segments.append(ANY_KEY)
                continue
            if MARK_RE.search(piece):
                return None
            try:
                segments.extend(parse_key(piece))
            except KeyPathError:
                return None
        return self.table + tuple(segments)

    def link(self, values: KeyPath, toml: str | None, kind: str, action: Part, pattern: str | None,
             filt: str | None) -> dict[str, Any]:
        record: dict[str, Any] = {"values": format_key(values), "toml": toml, "kind": kind}
        if pattern is not None:
            record["pattern"] = pattern
        if filt:
            record["filter"] = filt
        guard = guard_text(action.stack)
        if guard:
            record["guard"] = guard
        record["instance"] = self.source.instance
        record["line"] = action.line
        return record


# ---------------------------------------------------------------- small pure helpers


def link_kind(values_path: KeyPath, key_path: KeyPath, pattern: str | None) -> str:
    """How a values reference feeds its TOML key: through a pattern, as a whole subtree or list, or directly."""
    if pattern is not None:
        return "pattern"
    if ANY_KEY in values_path and ANY_KEY in key_path:
        return "subtree"
    if ANY_ITEM in values_path:
        return "list"
    return "direct"


def compatible(a: tuple[Frame, ...], b: tuple[Frame, ...]) -> bool:
    """Can two parts of one line render together (one's block stack is a prefix of the other's)?"""
    n = min(len(a), len(b))
    return all(x is y for x, y in zip(a[:n], b[:n], strict=True))


def guard_text(stack: tuple[Frame, ...]) -> str | None:
    """The conditions that hold inside these frames, as one Go-template expression."""
    conds = [c for f in stack for c in f.conds]
    if len(conds) > 1:
        return "and " + " ".join(f"({c})" for c in conds)
    return conds[0] if conds else None


def split_assignment(text: str) -> tuple[str | None, str]:
    """Split ``key = value`` at the first ``=`` outside quotes."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            key = text[:i].strip()
            return (key or None), text[i + 1:].strip()
    return None, text


def strip_comment(value: str) -> str:
    quote = None
    for i, ch in enumerate(value):
        if quote:
            if ch == "\\" and quote == '"':
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return value[:i].rstrip()
    return value.strip()


def parse_toml_value(text: str) -> Any:
    try:
        return tomllib.loads("v = " + text)["v"]
    except tomllib.TOMLDecodeError:
        return text


def render_marks(text: str, parts: list[Part]) -> str:
    by_index = {p.index: p.expr for p in parts if p.text is None}
    return MARK_RE.sub(lambda m: "{{ " + by_index.get(int(m.group(1)), "?") + " }}", text)


def locate_hole(value: str, own: str, alt: list[Part], action: Part) -> tuple[KeyPath, str | None] | None:
    """Where the action sits in the value: (key suffix such as ``[0]`` or ``[]``, pattern or None)."""
    inline_range = any(f.kind == "range" and f.line == action.line for f in action.stack)
    if value == own:
        return (), None
    if value.startswith("[") and value.endswith("]"):
        body = value[1:-1].strip()
        elements = split_elements(body)
        for i, element in enumerate(elements):
            if own in element:
                pattern = string_pattern(element.strip(), own, alt)
                if pattern is None:
                    return None
                suffix: KeyPath = (ANY_ITEM,) if inline_range else (i,)
                return suffix, (None if pattern == "{}" else pattern)
        return None
    pattern = string_pattern(value, own, alt)
    if pattern is None:
        return None
    return (), (None if pattern == "{}" else pattern)


def split_elements(body: str) -> list[str]:
    out, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(body):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(body[start:i])
            start = i + 1
    out.append(body[start:])
    return [e for e in out if e.strip()]


def string_pattern(element: str, own: str, alt: list[Part]) -> str | None:
    """The fixed text around the action: ``"https://{{x}}"`` -> ``https://{}``; other actions stay ``{{ ... }}``."""
    if element == own:
        return "{}"
    inner = element[1:-1] if len(element) >= 2 and element[0] == element[-1] and element[0] in "\"'" else element
    if own not in inner:
        return None
    head, _, tail = inner.partition(own)
    return render_marks(head, alt) + "{}" + render_marks(tail, alt)


# ---------------------------------------------------------------- a chart


def loose_version(text: Any) -> str | None:
    if text is None:
        return None
    nums = re.findall(r"\d+", str(text))[:3]
    if not nums:
        return None
    return ".".join((nums + ["0", "0", "0"])[:3])


def find_sources(chart_dir: Path) -> list[TemplateSource]:
    """Every deployment.toml template of a chart: confs/**/deployment.toml and inline ConfigMap blocks."""
    sources: list[TemplateSource] = []
    confs = chart_dir / "confs"
    if confs.is_dir():
        for path in sorted(confs.rglob("deployment.toml")):
            instance = path.parent.relative_to(confs).as_posix()
            sources.append(TemplateSource(path, path.relative_to(chart_dir).as_posix(),
                                          instance if instance != "." else "default"))
    templates = chart_dir / "templates"
    if templates.is_dir():
        for path in sorted(list(templates.rglob("*.yaml")) + list(templates.rglob("*.yml"))):
            text = path.read_text(encoding="utf-8")
            if any(CONFIGMAP_TOML_KEY.match(line) for line in text.split("\n")):
                instance = path.parent.relative_to(templates).as_posix()
                sources.append(TemplateSource(path, path.relative_to(chart_dir).as_posix(),
                                              instance if instance != "." else "default", configmap=True))
    return sources


_RESOURCE_GUARD = re.compile(r"\A(?:\s*|\s*#[^\n]*\n|\s*\{\{-?\s*/\*.*?\*/\s*-?\}\})*"
                             r"\{\{-?\s*if\s+(.+?)\s*-?\}\}\s*(?:#[^\n]*\n\s*)*apiVersion:", re.S)


def instance_entry(chart_dir: Path, source: TemplateSource) -> dict[str, Any]:
    """``{"instance", "file", "guard" | "always"}``: the condition of the ``{{ if }}`` that wraps the whole ConfigMap
    which renders the instance's deployment.toml (4.x's ``highAvailability`` around instance-2), or ``always`` when
    that one ConfigMap template has none (the chart renders the instance whatever the values); neither when the
    template is not found alone (read by a Glob of another folder, or by several)."""
    entry: dict[str, Any] = {"instance": source.instance, "file": source.rel}
    if source.configmap:
        texts = [source.path.read_text(encoding="utf-8")]
    else:
        folder = f'"{source.rel.rsplit("/", 1)[0]}/'  # .Files.Get "<folder>/deployment.toml", .Files.Glob "<folder>/*"
        texts = [text for path in sorted((chart_dir / "templates").rglob("*.y*ml"))
                 if folder in (text := path.read_text(encoding="utf-8"))]
    if len(texts) == 1:
        guard = _RESOURCE_GUARD.match(texts[0])
        if guard is not None:
            entry["guard"] = guard.group(1).strip()
        else:
            entry["always"] = True
    return entry


def derive_chart(chart_dir: Path | str, chart_id: str | None = None,
                 source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chart map of one chart directory, as a JSON-ready dict."""
    chart_dir = Path(chart_dir)
    meta = load_yaml(chart_dir / "Chart.yaml") if (chart_dir / "Chart.yaml").is_file() else {}
    values_file = chart_dir / "values.yaml"
    values = load_yaml(values_file) if values_file.is_file() else {}
    values = values or {}
    sources = find_sources(chart_dir)
    analyses = []
    notes = [] if sources else [{"file": "", "line": 0, "text": "",
                                 "reason": "chart has no deployment.toml template (confs/ or ConfigMap)"}]
    for src in sources:
        analysis = Analysis(src, values)
        analysis.run(src.path.read_text(encoding="utf-8"))
        analyses.append(analysis)
    result: dict[str, Any] = {
        "id": chart_id or f"local/{chart_dir.name}",
        "name": (meta or {}).get("name"),
        "version": str((meta or {}).get("version")) if (meta or {}).get("version") is not None else None,
        "app_version": loose_version((meta or {}).get("appVersion")),
        "source": source or {"path": str(chart_dir)},
        "instances": [instance_entry(chart_dir, a.source) for a in analyses],
        "links": [link for a in analyses for link in a.links],
        "constants": [c for a in analyses for c in a.constants],
        "guards": [g for a in analyses for g in a.guards],
        "commented": [c for a in analyses for c in a.commented],
        "unmapped": notes + [u for a in analyses for u in a.unmapped],
        "requirements": [f for a in analyses for f in a.failures],
    }
    result["guard_only"] = sorted({g["values"] for g in result["guards"]}
                                  - {link["values"] for link in result["links"]})
    result["counts"] = count(analyses)
    result["defaults"] = flatten_values(values)
    return result


def count(analyses: list[Analysis]) -> dict[str, Any]:
    keys: dict[str, int] = {"total": 0, "mapped": 0, "constant": 0, "unmapped": 0}
    refs: dict[str, float] = {"total": 0, "mapped": 0, "guard": 0, "commented": 0, "unmapped": 0}
    for a in analyses:
        for status in a.keys.values():
            keys["total"] += 1
            keys[status] += 1
        for ref in a.refs:
            refs["total"] += 1
            status = "mapped" if ref["status"] == "range" else ref["status"]
            refs[status] += 1
    accounted = refs["mapped"] + refs["guard"] + refs["commented"]
    refs["coverage"] = round(accounted / refs["total"], 4) if refs["total"] else 1.0
    return {"toml_keys": keys, "values_refs": refs, "unmapped_entries": sum(len(a.unmapped) for a in analyses)}
