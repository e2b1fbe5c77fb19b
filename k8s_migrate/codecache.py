"""The code ``@dataclass`` compiles, kept between runs.

``@dataclass`` writes each class's methods (``__init__``, ``__repr__``, ``__eq__``, ...) as source text and
compiles it with ``exec`` while the module defining the class is imported: a toml run defines about thirty such
classes, and compiling their methods took a fifth of a one-file run. ``install`` gives the dataclasses module an
``exec`` that takes the code an earlier run compiled from the same text (marshal, per Python version, in the data
cache: datacache.py) and compiles only text it has not seen; ``save`` keeps what the run compiled. The code is
what ``compile`` gives for that text, so the classes are the same.
"""

from __future__ import annotations

import marshal
import sys

TYPE_CHECKING = False  # typing is not imported on the fast path; mypy reads this block
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any

LIMIT = 4000  # texts kept: a checkout whose classes keep changing starts again from empty past this
_code: dict[str, CodeType] = {}
_compiled: list[str] = []


def install() -> None:
    """Once per process, before the modules that define dataclasses are imported."""
    import dataclasses

    if dataclasses.__dict__.get("exec") is not None:
        return
    from .datacache import read_entry

    blob = read_entry(key())
    try:
        kept = marshal.loads(blob) if blob else {}
    except (EOFError, ValueError, TypeError):
        kept = {}
    if isinstance(kept, dict):
        _code.update(kept)
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def _exec(source: Any, globals: Any = None, locals: Any = None) -> None:
    if isinstance(source, str):
        code = _code.get(source)
        if code is None:
            code = _code[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _compiled.append(source)
        source = code
    exec(source, globals, locals)


def key() -> str:
    """Code objects are particular to the interpreter that compiled them."""
    from .datacache import blake2b

    return f"dataclass-code-{blake2b(f'{sys.version}{marshal.version}'.encode(), digest_size=8).hexdigest()}.marshal"


def save() -> None:
    """Keep the code this run compiled (nothing to do when it compiled none)."""
    if not _compiled:
        return
    from .datacache import write_entry

    kept = _code if len(_code) <= LIMIT else {text: _code[text] for text in _compiled}
    write_entry(key(), marshal.dumps(kept))
    _compiled.clear()
