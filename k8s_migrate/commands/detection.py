"""The commands' side of detection: refuse the wrong kind of input, fill in --from (or --chart) when it was
left out, warn when it contradicts the file, and put the evidence into the report's notes."""

from __future__ import annotations

import sys
from typing import Any

from ..errors import UsageError
from ..inputs import label as input_label


def check_kind(data: bytes, name: str, expected: str) -> None:
    """Exit 2 with one line naming the right command when the input is another kind of file."""
    from ..detect import wrong_kind
    from ..formats.text import decode

    try:
        text = decode(data, name).text
    except UsageError:
        return  # the command's own reader gives the precise error
    problem = wrong_kind(text, expected)
    if problem:
        raise UsageError(problem, name, toml_error_line(text) if expected == "toml" else None)


def toml_error_line(text: str) -> int | None:
    """Where a strict TOML parser stops reading the text (the line a TOML error names)."""
    import tomllib

    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return getattr(exc, "lineno", None) or _line_in(str(exc))
    except (ValueError, RecursionError):
        return None
    return None


def _line_in(message: str) -> int | None:
    import re

    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def embedded_toml(data: bytes, name: str, kind: str) -> list[tuple[str, str]]:
    """The deployment.toml texts in the input, each with the text to look for image tags in."""
    from ..formats.text import decode

    text = decode(data, name).text
    if kind == "toml":
        return [(text, text)]
    from ..formats.configmap import read_manifest

    return [(entry.text, text) for entry in read_manifest(data, name).embedded]


def version_detection(data: bytes, name: str, kind: str):
    """detect_version over the input (every embedded file of a manifest must agree)."""
    import tomllib

    from ..detect import Detection, detect_version
    from ..formats.toml_strict import strict_reading
    from ..hub import flatten

    found = []
    for toml_text, whole in embedded_toml(data, name, kind):
        try:
            flat = flatten(strict_reading(toml_text))
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            return Detection(None, (), ())  # the migration reports the parse error with its line
        found.append(detect_version(flat, toml_text + "\n" + whole if whole is not toml_text else toml_text))
    if len(found) == 1:
        return found[0]
    values = {d.value for d in found}
    if len(values) == 1:
        return found[0]
    common = set.intersection(*(set(d.candidates) for d in found)) if all(d.candidates for d in found) else set()
    order = [v for d in found for v in d.candidates]
    candidates = tuple(sorted(common, key=order.index))
    evidence = tuple(e for d in found for e in d.evidence)
    return Detection(candidates[0] if len(candidates) == 1 else None, candidates, evidence)


def resolve_from(data: bytes, name: str, given: str | None, kind: str, answers: Any,
                 quiet: bool = False) -> tuple[str, list[str]]:
    """--from as given (with a warning when the keys contradict it), else detected, answered or asked.
    Returns the version and the notes for the report (the text report on stderr shows them; with -q the
    warning goes to stderr on its own)."""
    from ..answers import ask_version
    from ..detect import contradiction, version_range

    detection = version_detection(data, name, kind)
    label = input_label(name)
    if given:
        warning = contradiction(detection, given)
        if warning and quiet:
            sys.stderr.write(f"k8s-migrate: warning: {label}: {warning}\n")
        return given, [f"warning: {warning}"] if warning else []
    if detection.value:
        return detection.value, [f"from {detection.value} (detected: {'; '.join(detection.evidence)})"]
    recorded = answers.version_for(name) if answers is not None and name != "-" else None
    if recorded:
        return recorded, [f"from {recorded} (the answers file {answers.path} says so)"]
    fits = version_range(detection.candidates) if detection.candidates else None
    asked = ask_version(answers, label, detection.candidates, detection.evidence) if name != "-" else None
    if asked:
        return asked, [f"from {asked} (answered at the prompt; fits {fits or 'any version'})"]
    why = (f"it fits {fits} ({'; '.join(detection.evidence)})" if fits
           else "no key, server role, stock line or image tag in it names a version")
    raise UsageError(f"cannot tell which API-M version this file is for: {why}; give --from VERSION"
                     " (or record it under 'versions:' in the answers file)", label)


def add_notes(result: Any, notes: list[str]) -> None:
    result.report.notes[:0] = notes


def resolve_chart(data: bytes, name: str, given: str | None) -> tuple[str, list[str]]:
    """--chart as given, else the built-in chart the values file's paths (and image tags) point at."""
    if given:
        return given, []
    from ..detect import detect_chart
    from ..formats.text import decode

    label = input_label(name)
    try:
        from ruamel.yaml import YAML

        values = YAML(typ="safe", pure=True).load(decode(data, name).text)
    except UsageError:
        raise
    except Exception:  # noqa: BLE001 - the values reader reports the YAML error with its line
        return _unknown_chart(label, None)
    try:
        detection = detect_chart(values if isinstance(values, dict) else {})
    except RecursionError:
        return _unknown_chart(label, None)
    if detection.value:
        return detection.value, [f"chart {detection.value} (detected: {'; '.join(detection.evidence)})"]
    return _unknown_chart(label, detection)


def _unknown_chart(label: str, detection) -> tuple[str, list[str]]:
    if detection is not None and detection.candidates:
        why = f"it fits {', '.join(detection.candidates)} ({'; '.join(detection.evidence)})"
    else:
        why = "its values paths match no built-in chart"
    raise UsageError(f"cannot tell which chart these values are for: {why}; give --chart CHART", label)


FRAGMENT_SHARE = 0.25  # a file holding less than this share of its stock file's keys is a fragment of one


def fragment_note(data: bytes, name: str, from_version: str, kind: str, mode: str) -> list[str]:
    """Rebasing a fragment (a few keys, not a whole deployment.toml) gives a fragment: say so first."""
    import tomllib

    from ..catalog import load_catalog, resolve_version
    from ..formats.toml_strict import strict_reading
    from ..hub import document_keys

    if mode != "rebase":
        return []
    try:
        texts = [t for t, _ in embedded_toml(data, name, kind)]
        catalog = load_catalog(resolve_version(from_version))
    except Exception:  # noqa: BLE001 - the migration itself reports what is wrong with the input
        return []
    stock = catalog.stock_key_shapes()
    notes = []
    for text in texts:
        try:
            keys = document_keys(strict_reading(text))
        except (tomllib.TOMLDecodeError, ValueError, RecursionError):
            return []
        shared = len(keys & stock)
        if stock and shared < FRAGMENT_SHARE * len(stock):
            notes.append(f"a fragment: the file holds {shared} of the {catalog.version} stock file's {len(stock)} "
                         "keys, so the output is a fragment too (the stock keys it lacks stay out, each reported "
                         "as removed); merge it into your full deployment.toml, or use --mode edit")
    return notes[:1]
