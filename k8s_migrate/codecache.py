"""What every start compiled anew, kept between runs: the methods ``@dataclass`` writes, the regular expressions
modules compile when they are imported, and the string annotations typing compiles.

``@dataclass`` writes each class's methods (``__init__``, ``__repr__``, ``__eq__``, ...) as source text and compiles
it with ``exec`` while the module defining the class is imported: a toml run defines about thirty such classes, and
compiling their methods took a fifth of a one-file run. Its modules (and tomllib's, json's) also compile about forty
regular expressions at import, another tenth. ``install`` gives the dataclasses module an ``exec`` that takes the
code an earlier run compiled from the same text, and the regular expression compiler the program an earlier run made
of the same pattern (both marshal, per interpreter and command, in the data cache: datacache.py); ``save`` keeps
what the run compiled anew. Both are what compiling gives, so the classes and patterns are the same. Only a pattern
a module compiles at import is kept, or one a function named in ``KEPT_CALLERS`` compiles (literals of its source,
or the package's data): one another function compiles may be made of the user's text (a secret it masks).

typing compiles the text of each string annotation it is given (``ForwardRef``): a ``NamedTuple``'s fields and a
``TypeVar``'s bound in a module with ``from __future__ import annotations`` (this package's, tomllib's), while the
module is imported. The first compile of a process also builds the compiler's AST types (about 9M instructions,
1.5% of a verify run); ``install`` gives typing a ``compile`` that takes such an expression's code from earlier runs
too.

dataclasses imports inspect (with ast, dis and tokenize: a twentieth of a verify run) for one use, the ``__doc__`` it
writes for a class that has none, and tomlkit's items module for one too, the signature of an encoder registered with
tomlkit (the package registers none): a toml run paid for inspect twice over (8% of a one-file run). ``install`` puts
a stand-in for inspect in sys.modules, which imports it on the first use of one of its names (the package's
dataclasses have docstrings) and then leaves sys.modules to the real module.
"""

from __future__ import annotations

import marshal
import sys
from types import ModuleType

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy reads this block
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any

LIMIT = 4000  # entries kept: a checkout whose classes keep changing starts again from empty past this
_code: dict[str | tuple[str, str], CodeType] = {}  # dataclass method source, or ("eval", annotation text)
_patterns: dict[tuple[str | bytes, int], tuple[Any, ...]] = {}
_new: list[object] = []
_command = "any"  # the command whose entry this process reads and writes (install)


def install(command: str = "any") -> None:
    """Once per process, before the modules that define dataclasses are imported. Each ``command`` has an entry of
    its own: a run loads only the code its command's runs compiled (with one entry for all, a toml run loaded what
    values and verify runs had added too, 1% of its run)."""
    global _command
    _command = command
    if "inspect" not in sys.modules:
        sys.modules["inspect"] = _LateInspect("inspect")  # until a name of it is used
    import dataclasses

    if dataclasses.__dict__.get("exec") is not None:
        return
    from .datacache import read_entry

    blob = read_entry(key())
    try:
        code, patterns = marshal.loads(blob) if blob else ({}, {})
    except (EOFError, ValueError, TypeError):
        code, patterns = {}, {}
    if isinstance(code, dict) and isinstance(patterns, dict):
        _code.update(code)
        _patterns.update(patterns)
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # found before the builtin by dataclasses' code
    import typing

    typing.compile = _typing_compile  # type: ignore[attr-defined]  # found before the builtin by typing's code
    _install_patterns()


class _LateInspect(ModuleType):
    """inspect, imported on the first use of one of its names."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get("inspect") is self:
            sys.modules.pop("inspect", None)
        import inspect

        return getattr(inspect, name)


def _exec(source: Any, globals: Any = None, locals: Any = None) -> None:
    if isinstance(source, str):
        code = _code.get(source)
        if code is None:
            code = _code[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _new.append(source)
        source = code
    exec(source, globals, locals)


def _typing_compile(source: Any, filename: str, mode: str, *args: Any, **kwargs: Any) -> Any:
    """``compile`` as typing.ForwardRef calls it, ``compile(text, '<string>', 'eval')`` (typing has no future
    imports, so nothing inherited), with the code of a text compiled before; anything else as the builtin."""
    if not isinstance(source, str) or filename != "<string>" or mode != "eval" or args or kwargs:
        return compile(source, filename, mode, *args, **kwargs)
    code = _code.get(("eval", source))
    if code is None:
        code = _code["eval", source] = compile(source, filename, mode, dont_inherit=True)
        _new.append(source)
    return code


def _install_patterns() -> None:
    """re.compile parses a pattern and makes its program in Python (re._compiler.compile) before _sre builds the
    Pattern from them; the program of a pattern seen before is taken from the cache instead."""
    import re

    compiler = getattr(re, "_compiler", None)
    if compiler is None or not all(hasattr(compiler, n) for n in ("compile", "_code", "_parser", "_sre")):
        return  # another interpreter's re: patterns are compiled as usual
    original = compiler.compile

    def compile_pattern(p: Any, flags: int = 0) -> Any:
        if not isinstance(p, (str, bytes)) or not isinstance(flags, int) or flags & compiler.SRE_FLAG_DEBUG:
            return original(p, flags)
        program = _patterns.get((p, flags))
        if program is None:
            if not _compiled_at_import():
                return original(p, flags)
            try:
                parsed = compiler._parser.parse(p, flags)
                groups = [None] * parsed.state.groups
                for name, index in parsed.state.groupdict.items():
                    groups[index] = name
                ops = [int(op) for op in compiler._code(parsed, flags)]  # named constants are ints marshal keeps
                program = (flags | parsed.state.flags, ops, parsed.state.groups - 1, dict(parsed.state.groupdict),
                           tuple(groups))
                pattern = compiler._sre.compile(p, *program)
            except Exception:  # noqa: BLE001 - a bad pattern: re's own compile raises its own error
                return original(p, flags)
            _patterns[(p, flags)] = program
            _new.append(p)
            return pattern
        return compiler._sre.compile(p, *program)

    compiler.compile = compile_pattern


def _compiled_at_import() -> bool:
    """Is the re.compile (re.match, ...) this compile serves called from a module's body or by a function of
    ``KEPT_CALLERS``? Frames: this check, compile_pattern, re._compile, re.compile, its caller."""
    try:
        caller = sys._getframe(4)
    except ValueError:
        return False
    name, module = caller.f_code.co_name, caller.f_globals.get("__name__")
    return name == "<module>" or (name, module) in KEPT_CALLERS


KEPT_CALLERS = (  # (function, module) that compile only patterns of their source or of the package's data
    ("lazy_self", "ruamel.yaml.util"),  # ruamel's RegExp on first use (a LazyEval of re.compile): resolvers'
    ("__init_subclass__", "string"),  # string.Template's, when the string module makes Template
    ("__init__", "tomlkit.items"),  # Integer's and Float's re.match of a literal, on the first number of a run
    ("insert", "tomlkit.items"),  # the tables' and arrays' re.match of a literal (the indent of a key put in)
    ("_image_pattern", "k8s_migrate.detect"),  # detect/images.json's pattern
)


def key() -> str:
    """Code objects and pattern programs are particular to the interpreter that compiled them."""
    from .datacache import blake2b

    interpreter = blake2b(f"{sys.version}{marshal.version}".encode(), digest_size=8).hexdigest()
    return f"compiled-code-{_command}-{interpreter}.marshal"


def save() -> None:
    """Keep the code and patterns this run compiled (nothing to do when it compiled none)."""
    if not _new:
        return
    from .datacache import write_entry

    if len(_code) + len(_patterns) > LIMIT:
        _code.clear()
        _patterns.clear()
    write_entry(key(), marshal.dumps((_code, _patterns)))
    _new.clear()
