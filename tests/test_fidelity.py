"""Untouched bytes stay untouched: byte-identical output when no rule applies, and idempotence.

Over every reference deployment.toml, the same files re-dressed (CRLF, a BOM, tab indentation, comments
at every position, multi-line strings), and hypothesis-generated documents.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from k8s_migrate.errors import UsageError
from k8s_migrate.migrate.toml import Options, migrate_toml

from helpers import cli, examples
from reference_inputs import all_tomls, toml_ids
from toml_strategies import toml_text, with_line_endings

CASES = all_tomls()
TARGET = "4.6.0"


def newer(a: str, b: str) -> bool:
    return tuple(map(int, a.split("."))) > tuple(map(int, b.split(".")))


def migrate(data: bytes, from_version: str, to_version: str, mode: str) -> str:
    return migrate_toml(data, "input.toml", Options(from_version, to_version, mode=mode)).output


def assert_idempotent(data: bytes, version: str, mode: str, generated: bool = False) -> str:
    target = TARGET if newer(TARGET, version) else version
    try:
        once = migrate(data, version, target, mode)
    except UsageError as exc:  # a shape clash with the new baseline is refused (see test_conservation)
        assume(not (generated and exc.message.startswith("cannot write ")))
        raise
    if generated:
        assume(once.strip("\ufeff\r\n\t "))  # nothing left (the tool refuses empty input)
    twice = migrate(once.encode("utf-8"), target, target, mode)
    assert twice == once, f"migrating the {mode} output again to {target} changed it"
    return once


# ---- re-dressing a file: same TOML, other bytes ----------------------------------------------
def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def bom(text: str) -> str:
    return "\ufeff" + text


def tabs(text: str) -> str:
    return re.sub(r"(?m)^(?=[A-Za-z_\"'\[])", "\t", text)


def comments_everywhere(text: str) -> str:
    """A comment line before every line and a trailing comment on every key and header line."""
    out = ["# top of file"]
    in_multiline = False
    for line in text.split("\n"):
        quotes = line.count('"""') + line.count("'''")
        if not in_multiline:
            out.append("# before")
            stripped = line.strip()
            simple = stripped.startswith("[") or re.match(r"^[\w.\"'-]+\s*=\s*[^\[{]*$", stripped)
            if stripped and not stripped.startswith("#") and simple and quotes == 0:
                line += "  # trailing"
        out.append(line)
        if quotes % 2 == 1:
            in_multiline = not in_multiline
    return "\n".join(out) + "\n# end of file"


def multiline_strings(text: str) -> str:
    return text + ('\n[k8s_migrate_test]\nbasic = """\nfirst\n  second \\\n  folded\n"""\n'
                   "literal = '''\nC:\\path\\n'''\nquotes = \"\"\"she said \"\"hi\"\" \"\"\"\n")


DRESSINGS = {
    "as-is": lambda t: t,
    "crlf": crlf,
    "bom": bom,
    "tabs": tabs,
    "comments": comments_everywhere,
    "multiline": multiline_strings,
    "all": lambda t: bom(crlf(multiline_strings(comments_everywhere(tabs(t))))),
}


@pytest.mark.parametrize("dressing", list(DRESSINGS))
@pytest.mark.parametrize("path,version", CASES, ids=toml_ids(CASES))
def test_same_version_edit_is_byte_identical(reference_dir: Path, path: Path, version: str, dressing: str):
    data = DRESSINGS[dressing](path.read_text(encoding="utf-8")).encode("utf-8")
    assert migrate(data, version, version, "edit").encode("utf-8") == data


@pytest.mark.parametrize("mode", ["edit", "rebase"])
@pytest.mark.parametrize("path,version", CASES, ids=toml_ids(CASES))
def test_migration_is_idempotent(reference_dir: Path, path: Path, version: str, mode: str):
    assert_idempotent(path.read_bytes(), version, mode)


@pytest.mark.parametrize("dressing", ["all"])  # BOM + CRLF + tabs + comments + multi-line strings
@pytest.mark.parametrize("path,version", CASES, ids=toml_ids(CASES))
def test_dressing_survives_a_real_migration(reference_dir: Path, path: Path, version: str, dressing: str):
    """Rules that do apply keep the file's BOM and line endings, and stay idempotent."""
    data = DRESSINGS[dressing](path.read_text(encoding="utf-8")).encode("utf-8")
    for mode in ("edit", "rebase"):
        out = assert_idempotent(data, version, mode)
        assert out.startswith("\ufeff") == (dressing in ("bom", "all")), f"{mode}: BOM not kept"
        if dressing in ("crlf", "all"):
            assert "\n" not in out.replace("\r\n", ""), f"{mode}: a bare LF in CRLF output"


def test_the_cli_writes_the_bytes_it_read(reference_dir: Path, tmp_path: Path):
    """End to end: same-version edit through the CLI, stdout and -o, is the input byte for byte."""
    path, version = CASES[0]
    data = DRESSINGS["all"](path.read_text(encoding="utf-8")).encode("utf-8")
    source = tmp_path / "deployment.toml"
    source.write_bytes(data)
    result = cli(
        "toml",
        str(source),
        "--from",
        version,
        "--to",
        version,
        "--mode",
        "edit",
        "-o",
        str(tmp_path / "out.toml"),
        "-q",
    )
    assert result.code == 0, result.err
    assert (tmp_path / "out.toml").read_bytes() == data
    assert cli("toml", str(source), "--from", version, "--to", version, "--mode", "edit", "--check", "-q").code == 0


GENERATED = settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@GENERATED
@given(text=toml_text(), crlf=st.booleans(), bom=st.booleans())
def test_generated_same_version_is_byte_identical(text: str, crlf: bool, bom: bool):
    data = with_line_endings(text, crlf, bom)
    assert migrate(data, "4.2.0", "4.2.0", "edit").encode("utf-8") == data


@GENERATED
@given(text=toml_text(), crlf=st.booleans(), bom=st.booleans(), mode=st.sampled_from(["edit", "rebase"]),
       version=st.sampled_from(["3.2.0", "4.2.0"]))
def test_generated_migration_is_idempotent(text: str, crlf: bool, bom: bool, mode: str, version: str):
    assert_idempotent(with_line_endings(text, crlf, bom), version, mode, generated=True)
