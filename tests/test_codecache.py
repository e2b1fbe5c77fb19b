"""The code @dataclass compiles and the patterns modules compile at import, kept between runs (codecache.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CLASSES = r"""
import builtins, json, re, sys
COMPILES, COMPILE = [], builtins.compile
builtins.compile = lambda *args, **kwargs: (COMPILES.append(args[0]), COMPILE(*args, **kwargs))[1]
from k8s_migrate import codecache
if sys.argv[1] == "kept":
    codecache.install()
from dataclasses import dataclass, field

WORDS = re.compile(r"(?P<head>[a-z]+)(?:-(?P<tail>[a-z]+))?", re.IGNORECASE)
BYTES = re.compile(rb"\d+")


def masked(secret):
    return re.compile(re.escape(secret))

@dataclass(frozen=True)
class Point:
    x: int
    y: "tuple[str, ...]" = field(default_factory=tuple)

@dataclass(order=True)
class Named:
    name: str
    size: int = 0

from typing import NamedTuple, TypeVar

class Pair(NamedTuple):
    left: "list[int]"
    right: "Named | None" = None

BOUND = TypeVar("BOUND", bound="Named")

masked("hunter2")
from ruamel.yaml.resolver import VersionedResolver
RESOLVERS = [VersionedResolver(version=v).versioned_resolver for v in ((1, 1), (1, 2))]
RESOLVED = [(str(tag), bool(regexp.match(text))) for text in ("yes", "0x1F", "1e3", "2001-12-14", "~", "on", "x")
            for resolver in RESOLVERS for tag, regexp in resolver.get(text[0], [])]
compiled, compiles = len(codecache._new), len(COMPILES)
codecache.save()
p = Point(1, ("a",))
m = WORDS.match("Ab-cd ef")
print(json.dumps({"compiled": compiled, "compiles": compiles, "repr": repr(p), "doc": [Point.__doc__, Named.__doc__], "eq": p == Point(1, ("a",)), "hash": hash(p) == hash(Point(1, ("a",))),
                  "order": Named("a") < Named("b"), "annotations": repr(Point.__init__.__annotations__),
                  "init": repr(Named.__init__.__defaults__),
                  "pattern": [WORDS.pattern, WORDS.flags, WORDS.groups, dict(WORDS.groupindex), m.groupdict(), m.span(),
                              WORDS.findall("x-y z"), BYTES.findall(b"a12b3").__repr__(), BYTES.flags],
                  "resolved": RESOLVED,
                  "typing": [repr(Pair.__annotations__), repr(Pair([1])), repr(BOUND.__bound__),
                             eval(BOUND.__bound__.__forward_code__) is Named,
                             eval(Pair.__annotations__["right"].__forward_code__) == (Named | None)]}))
"""


def run(mode: str, cache: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CLASSES, mode], cwd=REPO, capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(REPO)})
    return json.loads(proc.stdout)


def test_a_second_process_compiles_nothing_and_makes_the_same_classes(tmp_path):
    plain = run("plain", tmp_path)
    first = run("kept", tmp_path)
    second = run("kept", tmp_path)
    assert plain["compiled"] == 0 and first["compiled"] > 0 and second["compiled"] == 0
    assert plain["compiles"] > 0 and second["compiles"] == 0  # not even typing's
    for result in (first, second):
        assert {k: v for k, v in result.items() if k not in ("compiled", "compiles")} == {
            k: v for k, v in plain.items() if k not in ("compiled", "compiles")}
    assert plain["annotations"] == repr({"x": int, "y": "tuple[str, ...]", "return": None})
    assert ["tag:yaml.org,2002:bool", True] in plain["resolved"] and ["tag:yaml.org,2002:int", True] in plain["resolved"]
    assert plain["typing"][3:] == [True, True]


def test_ruamels_resolver_patterns_are_kept(tmp_path):
    """ruamel compiles its resolvers' patterns (literals of its source) on first use, not at import: kept too."""
    run("kept", tmp_path)
    (entry,) = (tmp_path / "k8s-migrate" / "data").glob("compiled-code-*")
    assert b"|on|On|ON|off|Off|OFF)$" in entry.read_bytes()


def test_a_pattern_a_function_compiles_is_not_kept(tmp_path):
    run("kept", tmp_path)
    (entry,) = (tmp_path / "k8s-migrate" / "data").glob("compiled-code-*")
    assert b"hunter2" not in entry.read_bytes() and b"(?P<head>" in entry.read_bytes()


def test_a_damaged_entry_compiles_again(tmp_path):
    run("kept", tmp_path)
    (entry,) = (tmp_path / "k8s-migrate" / "data").glob("compiled-code-*")
    entry.write_bytes(entry.read_bytes()[:40])
    assert run("kept", tmp_path)["compiled"] > 0
    assert run("kept", tmp_path)["compiled"] == 0


LATE_INSPECT = r"""
import sys
from k8s_migrate import codecache
codecache.install()
from dataclasses import dataclass

@dataclass
class Documented:
    "A class with its own docstring."
    x: int

before = "dis" in sys.modules or type(sys.modules.get("inspect")).__name__ == "module"

@dataclass
class Undocumented:
    x: int
    y: str = "a"

import inspect
print(before, Documented.__doc__, Undocumented.__doc__, type(inspect).__name__, callable(inspect.signature))
"""


def test_dataclasses_get_inspect_when_a_class_has_no_docstring(tmp_path):
    """install() imports dataclasses without inspect (ast, dis, tokenize): a class with a docstring needs none; one
    without gets the __doc__ dataclasses writes with the real inspect, which any later import also gets."""
    proc = subprocess.run([sys.executable, "-c", LATE_INSPECT], cwd=REPO, capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    assert proc.stdout.split(" ", 1) == ["False", "A class with its own docstring. Undocumented(x: int, y: str = 'a') "
                                                  "module True\n"]


TOMLKIT_LATE_INSPECT = r"""
import sys
from k8s_migrate import codecache
codecache.install()
import tomlkit
from k8s_migrate.formats import toml
from tomlkit import items

loaded = "dis" in sys.modules or type(sys.modules.get("inspect")).__name__ == "module"


def as_text(obj, _parent=None, _sort_keys=False):
    if not isinstance(obj, set):
        raise TypeError(obj)
    return items.String.from_raw(str(obj))


tomlkit.register_encoder(as_text)
print(loaded, tomlkit.dumps({"a": {1}}).strip(), type(sys.modules["inspect"]).__name__)
"""


def test_tomlkit_gets_inspect_when_an_encoder_is_registered(tmp_path):
    """tomlkit's items module imports inspect for the signature of an encoder registered with tomlkit: a toml run
    registers none, and imports no inspect; an encoder registered gets the real one."""
    proc = subprocess.run([sys.executable, "-c", TOMLKIT_LATE_INSPECT], cwd=REPO, capture_output=True, text=True,
                          check=True, env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path),
                                           "PYTHONPATH": str(REPO)})
    assert proc.stdout == "False a = \"{1}\" module\n"


KEPT_CALLERS = r"""
import sys
from k8s_migrate import codecache
codecache.install()
import tomlkit
from k8s_migrate.detect import _image_pattern
tomlkit.parse("[a]\nb = 1\n")
_image_pattern()
codecache.save()
"""


def test_patterns_the_named_functions_compile_are_kept(tmp_path):
    """tomlkit's numbers match a literal pattern on first use, detection compiles the package's image pattern: kept
    (KEPT_CALLERS), as a module's patterns are."""
    subprocess.run([sys.executable, "-c", KEPT_CALLERS], cwd=REPO, check=True,
                   env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    (entry,) = (tmp_path / "k8s-migrate" / "data").glob("compiled-code-*")
    assert rb"^[+\-]\d+$" in entry.read_bytes() and rb"(wso2am(?:-[a-z]+" in entry.read_bytes()


PER_COMMAND = r"""
import sys
from k8s_migrate import codecache
codecache.install(sys.argv[1])
from dataclasses import dataclass

exec(f"@dataclass\nclass Made:\n    '''doc'''\n    {sys.argv[2]}: int\n")
print(len(codecache._new))
codecache.save()
"""


def test_each_command_keeps_its_own_code(tmp_path):
    """A command's run loads the code its own runs compiled, not every command's."""
    def run(command: str, field: str) -> int:
        proc = subprocess.run([sys.executable, "-c", PER_COMMAND, command, field], cwd=REPO, capture_output=True,
                              text=True, check=True, env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path),
                                                          "PYTHONPATH": str(REPO)})
        return int(proc.stdout)

    assert run("toml", "toml_field") > 0 and run("values", "values_field") > 0
    assert run("toml", "toml_field") == 0 and run("values", "values_field") == 0
    folder = tmp_path / "k8s-migrate" / "data"
    entries = {p.name.split("-")[2]: p.read_bytes() for p in folder.glob("compiled-code-*")}
    assert sorted(entries) == ["toml", "values"]
    assert b"toml_field" in entries["toml"] and b"toml_field" not in entries["values"]
