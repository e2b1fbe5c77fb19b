"""Checks of deployment.toml text: on its own, or embedded in a ConfigMap or a values file."""

from __future__ import annotations

import re
import tomllib

from ..errors import UsageError
from ..formats.text import decode
from ..hub import HubKey, KeyPath
from .checks import KeyChecks, VersionFacts
from .findings import Finding

_TOMLLIB_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_BLOCK_SCALAR = re.compile(r":\s*[|>][-+]?\d*\s*(#.*)?$")


def syntax_finding(text: str) -> Finding | None:
    """The strict parser's (tomllib) verdict, as a finding; tomlkit alone accepts some invalid files."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOMLLIB_LINE.search(str(exc))
        message = _TOMLLIB_LINE.sub("", str(exc)).strip()
        return Finding("syntax", "error", None, f"invalid TOML: {message}", int(m.group(1)) if m else None)
    except RecursionError:
        return Finding("syntax", "error", None, "invalid TOML: nested too deeply to read")
    return None


def toml_keys(text: str) -> tuple[list[HubKey], dict[KeyPath, int]]:
    from ..formats.toml import TomlDocument, line_numbers

    doc = TomlDocument(decode(text.encode("utf-8"), "embedded"), "embedded")
    return doc.leaves(), line_numbers(text)


def check_toml(text: str, facts: VersionFacts, line_offset: int = 0, origin: str | None = None) -> list[Finding]:
    broken = syntax_finding(text)
    if broken is None:
        try:
            keys, table_lines = toml_keys(text)
        except UsageError as exc:
            broken = Finding("syntax", "error", None, exc.message, exc.line)
    if broken is not None:
        broken.line = broken.line + line_offset if broken.line else (line_offset or None)
        broken.origin = origin
        return [broken]
    for key in keys:
        key.origin = origin
    findings = KeyChecks(facts).run(keys, table_lines)
    for finding in findings:
        if finding.line is not None:
            finding.line += line_offset
    return findings


def check_configmap(source, name: str, facts: VersionFacts) -> list[Finding]:
    from ..formats.configmap import EMBEDDED_KEY, ConfigMapManifest, value_line

    try:
        manifest = ConfigMapManifest(source, name)
    except UsageError as exc:
        return [Finding("syntax", "error", None, exc.message, exc.line)]
    findings = []
    if not manifest.embedded:
        return [Finding("syntax", "note", None, f'no ConfigMap here embeds a data."{EMBEDDED_KEY}"; nothing to check')]
    for entry in manifest.embedded:
        where = f'{entry.name} data."{EMBEDDED_KEY}"'
        findings += check_toml(entry.text, facts, value_line(entry) + 1, where)
    return findings


def embedded_offset(lines: list[str], line: int | None) -> int:
    """Lines to add to a line of TOML text held in the YAML scalar whose key sits on ``line``."""
    if line and 0 < line <= len(lines) and _BLOCK_SCALAR.search(lines[line - 1]):
        return line
    return max((line or 1) - 1, 0)

