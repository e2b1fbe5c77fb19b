"""Execute parsed Go templates with Helm's settings (missingkey=zero, <no value> removed from output)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from . import parse as p
from .govalue import NO_VALUE, TemplateError, format_v, is_true, type_name

MAX_DEPTH = 1000


class _LoopSignal(Exception):
    def __init__(self, kind: str):
        self.kind = kind


class GoObject:
    """Base for non-map template data (.Release, .Files ...): fields are attributes, methods are callables."""

    go_type = "struct"

    def go_field(self, name: str) -> Any:
        if name.startswith("_") or not hasattr(self, name):
            raise AttributeError(name)
        return getattr(self, name)


class Template:
    """A set of named templates sharing one namespace, as Helm builds for a chart."""

    def __init__(self, functions: dict[str, Callable]):
        self.functions = functions
        self.defines: dict[str, tuple[str, list]] = {}

    def copy(self) -> "Template":
        """Another set with the same templates, to which ``add`` may add more without changing this one."""
        other = Template(self.functions)
        other.defines = dict(self.defines)
        return other

    def add(self, text: str, name: str) -> list:
        """Parse `text`; like Go, an unknown function is an error even in a branch that never runs."""
        known = _KNOWN.get(text)
        if type(known) is bytes:
            known = _KNOWN[text] = _unpickled(known)
        nodes, defines = known or (_parsed(text, name) if len(text) <= _CACHED_TEXT else p.parse(text, name))
        for body in [nodes, *defines.values()]:
            self._check_functions(body, name)
        for define_name, body in defines.items():
            self.defines[define_name] = (name, body)
        return nodes

    def _check_functions(self, nodes: list, name: str) -> None:
        for node in nodes:
            if isinstance(node, (p.Action, p.TemplateCall)) and node.pipe:
                self._check_pipe(node.pipe, name)
            elif isinstance(node, p.Branch):
                self._check_pipe(node.pipe, name)
                self._check_functions(node.body, name)
                self._check_functions(node.else_body or [], name)

    def _check_pipe(self, pipe: p.Pipe, name: str) -> None:
        for cmd in pipe.cmds:
            for arg in cmd.args:
                inner = arg.node if isinstance(arg, p.Chain) else arg
                if isinstance(inner, p.Ident) and inner.name not in self.functions and inner.name not in ("and", "or"):
                    raise TemplateError(f'function "{inner.name}" not defined', name, pipe.line)
                if isinstance(inner, p.Pipe):
                    self._check_pipe(inner, name)

    def execute(self, nodes: list, name: str, dot: Any, depth: int = 0) -> str:
        state = _State(self, name, dot, depth)
        state.walk(nodes, dot)
        return "".join(state.out)

    def execute_named(self, define_name: str, dot: Any, depth: int, line_info: tuple[str, int]) -> str:
        if define_name not in self.defines:
            raise TemplateError(f'no template "{define_name}" associated with template', *line_info)
        if depth > MAX_DEPTH:
            raise TemplateError(f"exceeded maximum template depth ({MAX_DEPTH})", *line_info)
        source, body = self.defines[define_name]
        return self.execute(body, define_name, dot, depth + 1)


_CACHED_TEXT = 64 * 1024  # longer texts (a big values string given to tpl) are parsed each time, not kept
_KNOWN: dict[str, Any] = {}  # text -> its parse (pickled until first used), as a chart's cache entry holds them


def parse_texts(texts: list[str]) -> dict[str, bytes]:
    """The parse of each text that parses (others fail where a template uses them, with their own name), each
    pickled on its own: a run unpickles only the parses of the templates it renders."""
    from ...datacache import equal_ones_shared
    from ..render_cache import dumps

    parses = {}
    for text in texts:
        try:
            parses[text] = dumps(equal_ones_shared(p.parse(text, "")), -1)
        except Exception:  # a chart file with braces that is no template, or one a later run reports
            continue
    return parses


def know_parses(parses: dict[str, bytes]) -> None:
    """Parses read from a cache entry: ``add`` unpickles one when a template first uses it, and takes it as it is
    (nothing edits parsed nodes)."""
    _KNOWN.update(parses)


def _unpickled(data: bytes) -> tuple[list, dict[str, list]]:
    from ..render_cache import loads

    return loads(data)


@lru_cache(maxsize=1024)
def _parsed(text: str, name: str) -> tuple[list, dict[str, list]]:
    """A template's parse, once per process (nothing edits the nodes; tpl parses the same strings again and again)."""
    return p.parse(text, name)


class _State:
    def __init__(self, template: Template, name: str, dot: Any, depth: int):
        self.template = template
        self.name = name
        self.depth = depth
        self.vars: list[tuple[str, Any]] = [("$", dot)]
        self.out: list[str] = []
        self.line = 0

    def error(self, message: str) -> TemplateError:
        return TemplateError(message, self.name, self.line)

    # ---- statements ------------------------------------------------------------------------------

    def walk(self, nodes: list, dot: Any) -> None:
        for node in nodes:
            if isinstance(node, p.Text):
                self.out.append(node.text)
            elif isinstance(node, p.Action):
                self.line = node.line
                value = self.eval_pipe(node.pipe, dot)
                if not node.pipe.decl:
                    self.out.append(self.printable(value))
            elif isinstance(node, p.Branch):
                self.branch(node, dot)
            elif isinstance(node, p.TemplateCall):
                self.line = node.line
                arg = self.eval_pipe(node.pipe, dot) if node.pipe else None
                self.out.append(self.template.execute_named(node.name, arg, self.depth, (self.name, node.line)))
            elif isinstance(node, p.LoopControl):
                raise _LoopSignal(node.kind)

    def printable(self, value: Any) -> str:
        if isinstance(value, GoObject) and not isinstance(value, (str,)):
            return str(value)
        if callable(value):
            raise self.error("can't print function value")
        return format_v(value)

    def scoped(self, body: list, dot: Any) -> None:
        mark = len(self.vars)
        try:
            self.walk(body, dot)
        finally:
            del self.vars[mark:]

    def branch(self, node: p.Branch, dot: Any) -> None:
        self.line = node.line
        mark = len(self.vars)
        try:
            if node.kind == "range":
                self.range(node, dot)
                return
            value = self.eval_pipe(node.pipe, dot)
            if is_true(value):
                self.scoped(node.body, value if node.kind == "with" else dot)
            elif node.else_body is not None:
                self.scoped(node.else_body, dot)
        finally:
            del self.vars[mark:]

    def range(self, node: p.Branch, dot: Any) -> None:
        decl = node.pipe.decl
        node.pipe.decl = []
        try:
            value = self.eval_pipe(node.pipe, dot)
        finally:
            node.pipe.decl = decl
        pairs = self.range_pairs(value)
        if not pairs:
            if node.else_body is not None:
                self.scoped(node.else_body, dot)
            return
        for key, item in pairs:
            mark = len(self.vars)
            if len(decl) == 1:
                self.vars.append((decl[0], item))
            elif len(decl) == 2:
                self.vars.extend([(decl[0], key), (decl[1], item)])
            try:
                self.walk(node.body, item)
            except _LoopSignal as signal:
                if signal.kind == "break":
                    break
            finally:
                del self.vars[mark:]

    def range_pairs(self, value: Any) -> list[tuple[Any, Any]]:
        if value is None:
            return []
        if isinstance(value, dict):
            return [(k, value[k]) for k in sorted(value)]
        if isinstance(value, (list, tuple)):
            return list(enumerate(value))
        if isinstance(value, int) and not isinstance(value, bool):
            return [(i, i) for i in range(value)]
        if hasattr(value, "go_items"):
            return value.go_items()
        raise self.error(f"range can't iterate over {format_v(value, False)}")

    # ---- pipelines -------------------------------------------------------------------------------

    def eval_pipe(self, pipe: p.Pipe, dot: Any) -> Any:
        self.line = pipe.line
        value: Any = _MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(cmd, dot, value)
        for name in pipe.decl:
            if pipe.is_assign:
                self.assign(name, value)
            else:
                self.vars.append((name, value))
        return value

    def assign(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        raise self.error(f"undefined variable: {name}")

    def variable(self, name: str) -> Any:
        for var_name, value in reversed(self.vars):
            if var_name == name:
                return value
        raise self.error(f"undefined variable: {name}")

    def eval_command(self, cmd: p.Command, dot: Any, final: Any) -> Any:
        first = cmd.args[0]
        rest = cmd.args[1:]
        if isinstance(first, p.Ident):
            return self.call_function(first.name, rest, dot, final)
        if isinstance(first, (p.Field, p.Variable, p.Chain)):
            return self.eval_chain(first, dot, rest, final)
        if rest or final is not _MISSING:
            raise self.error(f"can't give argument to non-function {self.describe(first)}")
        if isinstance(first, p.Literal) and first.is_nil:
            raise self.error("nil is not a command")
        return self.eval_arg(first, dot)

    def describe(self, node: Any) -> str:
        if isinstance(node, p.Literal):
            return repr(node.value)
        return type(node).__name__

    def eval_arg(self, node: Any, dot: Any) -> Any:
        if isinstance(node, p.Dot):
            return dot
        if isinstance(node, p.Literal):
            return node.value
        if isinstance(node, (p.Field, p.Variable, p.Chain)):
            return self.eval_chain(node, dot, [], _MISSING)
        if isinstance(node, p.Pipe):
            mark = len(self.vars)
            value = self.eval_pipe(node, dot)
            del self.vars[mark:]
            return value
        if isinstance(node, p.Ident):
            return self.call_function(node.name, [], dot, _MISSING)
        raise self.error(f"can't evaluate {self.describe(node)}")

    def eval_chain(self, node: Any, dot: Any, args: list, final: Any) -> Any:
        if isinstance(node, p.Field):
            receiver, names = dot, node.names
        elif isinstance(node, p.Variable):
            receiver, names = self.variable(node.name), node.names
        else:
            receiver, names = self.eval_arg(node.node, dot), node.names
        if not names:
            if args or final is not _MISSING:
                what = node.name if isinstance(node, p.Variable) else "value"
                raise self.error(f"can't give argument to non-function {what}")
            return receiver
        for i, name in enumerate(names):
            last = i == len(names) - 1
            receiver = self.field(receiver, name, args if last else [], final if last else _MISSING, dot)
        return receiver

    def field(self, receiver: Any, name: str, args: list, final: Any, dot: Any) -> Any:
        has_args = bool(args) or final is not _MISSING
        if receiver is None:
            raise self.error(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(receiver, dict):
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            return receiver.get(name)
        if isinstance(receiver, GoObject):
            try:
                member = receiver.go_field(name)
            except AttributeError:
                raise self.error(f"can't evaluate field {name} in type {receiver.go_type}") from None
            if callable(member):
                values = [self.eval_arg(a, dot) for a in args]
                if final is not _MISSING:
                    values.append(final)
                try:
                    return member(*values)
                except TemplateError:
                    raise
                except TypeError as exc:
                    raise self.error(f"wrong number of args for {name}: {exc}") from None
            if has_args:
                raise self.error(f"{name} has arguments but cannot be invoked as function")
            return member
        raise self.error(f"can't evaluate field {name} in type {type_name(receiver)}")

    # ---- functions -------------------------------------------------------------------------------

    def call_function(self, name: str, arg_nodes: list, dot: Any, final: Any) -> Any:
        if name in ("and", "or"):
            return self.and_or(name, arg_nodes, dot, final)
        function = self.template.functions.get(name)
        if function is None:
            raise self.error(f'function "{name}" not defined')
        args = [self.eval_arg(a, dot) for a in arg_nodes]
        if final is not _MISSING:
            args.append(final)
        try:
            return function(CallContext(self, dot), *args)
        except TemplateError as exc:
            if exc.name is None:
                raise self.error(f"error calling {name}: {exc.reason}") from None
            raise
        except TypeError:
            raise self.error(f"wrong number of args for {name}: got {len(args)}") from None

    def and_or(self, name: str, arg_nodes: list, dot: Any, final: Any) -> Any:
        nodes: list = list(arg_nodes)
        if final is not _MISSING:
            nodes.append(p.Literal(final))
        if not nodes:
            raise self.error(f"wrong number of args for {name}: want at least 1 got 0")
        value = None
        for node in nodes:
            value = self.eval_arg(node, dot)
            if is_true(value) != (name == "and"):
                return value
        return value


class CallContext:
    """What a function sees of the running template: its name and line, dot, and the template set."""

    def __init__(self, state: _State, dot: Any):
        self.state = state
        self.dot = dot

    @property
    def template(self) -> Template:
        return self.state.template

    @property
    def depth(self) -> int:
        return self.state.depth

    def where(self) -> tuple[str, int]:
        return self.state.name, self.state.line


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def strip_no_value(text: str) -> str:
    """Helm removes every '<no value>' from rendered output."""
    return text.replace(NO_VALUE, "")
