"""What the user has, when they did not say: the API-M version of a deployment.toml, the chart of a values file.

Both answers are a ``Detection``: the value (None when the evidence does not decide), the candidates that fit
equally well, and the evidence as short sentences for the report. The facts are data:
``mappings/detect/versions.json`` (derived by scripts/derive_fingerprints.py: the keys only some versions
know, the server roles each version knows, lines only some versions' stock files hold),
``mappings/detect/images.json`` (hand-written: the container images that name an API-M version) and the
chart maps (``mappings/charts/``: the values paths each chart reads).

    detect_version(flat, text)  -> Detection   flat: hub key -> value (formats.toml.flatten), text: the file
    detect_chart(values_data)   -> Detection   values_data: the values file as plain data
    contradiction(detection, given) -> str | None   a warning when --from disagrees with the keys
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Mapping

from .data import load_json
from .hub import ANY_KEY, KeyPath, parse_key, stripped_keys
from .versions import normalise_version

KEY_WEIGHT, ROLE_WEIGHT, IMAGE_WEIGHT = 1, 3, 1000
LINE_MARGIN = 5  # stock lines decide between versions the keys fit equally, by at least this many
SHOWN = 3  # evidence items named per kind
FULL_COPY = 0.5  # a values file holding this share of a chart's paths is a copy of its values.yaml


@dataclass(frozen=True)
class Detection:
    """The value found (None when the evidence does not decide), the candidates that fit equally well, and
    the evidence as short sentences."""

    value: str | None
    candidates: tuple[str, ...]
    evidence: tuple[str, ...]

    @property
    def ambiguous(self) -> bool:
        return self.value is None

    def describe(self) -> str:
        found = self.value or f"one of {', '.join(self.candidates)}" if self.candidates else "nothing"
        return f"{found} (" + "; ".join(self.evidence or ("no evidence",)) + ")"


@lru_cache(maxsize=1)
def fingerprints() -> dict[str, Any]:
    """detect/versions.json, kept between runs (datacache): with each distinct string and each distinct list of
    versions one object (a tuple), the pickle loads in a seventh of the time it took with a list per key."""
    from .datacache import kept, one_string_each, one_tuple_each

    return kept("fingerprints", ["detect/versions.json"], (__name__, "k8s_migrate.datacache"),
                lambda: one_tuple_each(one_string_each(load_json("detect/versions.json"))))


@lru_cache(maxsize=1)
def _image_pattern() -> re.Pattern[str]:
    return re.compile(load_json("detect/images.json")["pattern"])


def version_range(found: Iterable[str]) -> str:
    """4.2.0, 4.3.0, 4.4.0 -> '4.2.0 to 4.4.0'; up to the last known version -> '4.5.0+'."""
    order = fingerprints()["versions"]
    found = sorted(set(found), key=order.index)
    if not found:
        return "no version"
    first, last = order.index(found[0]), order.index(found[-1])
    if len(found) == last - first + 1:
        if len(found) == 1:
            return found[0]
        return f"{found[0]}+" if last == len(order) - 1 else f"{found[0]} to {found[-1]}"
    return ", ".join(found)


def _named(items: list[str]) -> str:
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more


def detect_version(flat: Mapping[KeyPath, Any], text: str = "") -> Detection:
    """The API-M version a deployment.toml (its hub keys ``flat``, its ``text``) was written for."""
    fp = fingerprints()
    versions, partial = fp["versions"], set(fp["partial"])
    score = dict.fromkeys(versions, 0)
    support: dict[str, list[tuple[int, str, str]]] = {v: [] for v in versions}  # (weight, kind, item)

    def weigh(found: list[str], weight: int, kind: str, item: str) -> None:
        if partial.union(found) == set(versions):
            return  # only a partial catalog lacks it: that says nothing
        for v in versions:
            if v in found:
                score[v] += weight
                support[v].append((len(found), kind, item))
            elif v not in partial:
                score[v] -= weight

    for key in sorted(stripped_keys(flat)):
        if key in fp["keys"]:
            weigh(fp["keys"][key], KEY_WEIGHT, "key", key)
    role = flat.get(parse_key(fp["role_key"]))
    if isinstance(role, str) and role in fp["roles"]:
        weigh(fp["roles"][role], ROLE_WEIGHT, "role", f'{fp["role_key"]} = "{role}"')
    for image, tag in sorted(set(_image_pattern().findall(text))):
        try:
            tagged = normalise_version(tag)
        except ValueError:
            continue
        if tagged in score:
            score[tagged] += IMAGE_WEIGHT
            support[tagged].append((1, "image", f"{image}:{tag}"))
    best = max(score.values())
    candidates = [v for v in versions if score[v] == best]
    held = _stock_lines_held(text, candidates)
    most = max(len(lines) for lines in held.values())
    close = [v for v in candidates if most - len(held[v]) < LINE_MARGIN]
    if len(close) == 1 or (most and not support[candidates[0]]):  # lines decide, or are all there is
        candidates = close
        for v in close:
            support[v] += [(0, "line", line) for line in held[v]]
    if not support[candidates[0]]:
        return Detection(None, (), ())
    return Detection(candidates[0] if len(candidates) == 1 else None, tuple(candidates),
                     _evidence(support[candidates[0]], tuple(candidates)))


def _stock_lines_held(text: str, versions: list[str]) -> dict[str, list[str]]:
    """Per version, the distinctive lines of its stock file closest to the text (a file starts from one)."""
    stock = fingerprints()["stock_lines"]
    by_file: dict[str, list[str]] = {}
    for line in sorted({" ".join(raw.split()) for raw in text.splitlines()} & stock.keys()):
        for name in stock[line]:
            by_file.setdefault(name, []).append(line)
    return {v: max((found for name, found in by_file.items() if name.split("/")[0] == v), key=len, default=[])
            for v in versions}


def _evidence(support: list[tuple[int, str, str]], candidates: tuple[str, ...]) -> tuple[str, ...]:
    fp = fingerprints()
    out = []
    images = [item for _, kind, item in support if kind == "image"]
    if images:
        out.append(f"image {_named(images)}")
    roles = [item for _, kind, item in support if kind == "role"]
    if roles:
        out.append(f"{roles[0]} (a role {version_range(fp['roles'][roles[0].split(chr(34))[1]])} knows)")
    keys = sorted((n, item) for n, kind, item in support if kind == "key")
    if keys:
        narrowest = [item for n, item in keys if n == keys[0][0]]
        out.append(f"keys only {version_range(fp['keys'][narrowest[0]])} know: {_named(narrowest)}")
    lines = [item for _, kind, item in support if kind == "line"]
    if lines:
        stock = "stock file" if len(candidates) == 1 else "stock files"
        out.append(f"{len(lines)} line{'s' if len(lines) != 1 else ''} of the {version_range(candidates)} {stock}")
    return tuple(out)


def contradiction(detection: Detection, given: str) -> str | None:
    """A warning when the keys say the file is for other versions than --from: None when --from fits."""
    given = normalise_version(given)
    if not detection.candidates or given in detection.candidates:
        return None
    if given not in fingerprints()["versions"]:
        return None
    return (f"--from {given}, but the file looks like {version_range(detection.candidates)}: "
            + "; ".join(detection.evidence))


# ---------------------------------------------------------------- charts


@lru_cache(maxsize=1)
def chart_fingerprints() -> dict[str, Any]:
    return load_json("detect/charts.json")


@lru_cache(maxsize=1)
def _chart_index() -> tuple[dict[KeyPath, list[str]], list[tuple[KeyPath, list[str]]], dict[str, int]]:
    """Exact values paths, paths with a `*` segment, and each chart's number of paths."""
    exact: dict[KeyPath, list[str]] = {}
    wild: list[tuple[KeyPath, list[str]]] = []
    size: dict[str, int] = {}
    for text, charts in chart_fingerprints()["paths"].items():
        path = parse_key(text)
        if ANY_KEY in path:
            wild.append((path, charts))
        else:
            exact[path] = charts
        for chart in charts:
            size[chart] = size.get(chart, 0) + 1
    return exact, wild, size


def _charts_knowing(path: KeyPath) -> set[str]:
    """The charts whose values hold this path (or a table above it: nodeSelector: {} holds nodeSelector.disk)."""
    exact, wild, _ = _chart_index()
    found: set[str] = set()
    for end in range(len(path), 0, -1):
        found.update(exact.get(path[:end], ()))
    for pattern, charts in wild:
        if len(pattern) <= len(path) and all(p in (ANY_KEY, s) for p, s in zip(pattern, path, strict=False)):
            found.update(charts)
    return found


def detect_chart(values: Any) -> Detection:
    """The built-in chart a values file is for: the charts that know most of its values paths; among equals,
    when the file is a full copy (it holds at least half of a chart's paths), the one it covers best; an
    image tag in the file picks the branch."""
    paths = sorted(set(_leaf_paths(values)))
    order = chart_fingerprints()["charts"]
    known = dict.fromkeys(order, 0)
    for path in paths:
        for chart in _charts_knowing(path):
            known[chart] += 1
    best = max(known.values(), default=0)
    if best == 0:
        return Detection(None, (), ())
    fitting = [c for c in order if known[c] == best]
    evidence = [f"{best} of its {len(paths)} values paths are the chart's values"]
    tags = _image_versions(values)
    tagged = [c for c in fitting if chart_branch_version(c) in tags]
    if tagged:
        fitting = tagged
        evidence.append(f"image tag {', '.join(sorted(tags))}")
    size = _chart_index()[2]
    coverage = {c: best / size[c] for c in fitting}
    if len(fitting) > 1 and max(coverage.values()) >= FULL_COPY:
        most = max(coverage.values())
        fitting = [c for c in fitting if coverage[c] == most]
        which = "the" if len(fitting) == 1 else "each"
        evidence.append(f"a full copy: it holds {min(most, 1.0):.0%} of {which} chart's values")
    return Detection(fitting[0] if len(fitting) == 1 else None, tuple(fitting), tuple(evidence))


def chart_branch_version(chart: str) -> str:
    """helm-apim/all-in-one@4.5.x -> 4.5.0, the API-M version of the branch."""
    return normalise_version(chart.rsplit("@", 1)[1].replace(".x", ""))


def _leaf_paths(data: Any, prefix: KeyPath = ()) -> Iterable[KeyPath]:
    """Values leaves as key paths; list items are not part of a chart's paths, so they end the path."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from _leaf_paths(value, (*prefix, str(key)))
    elif prefix:
        yield prefix


IMAGE_FIELDS = (("tag", ("repository", "image")), ("imageTag", ("imageName", "image")))


def _image_versions(values: Any) -> set[str]:
    found = set()
    for text in _image_texts(values):
        for _, tag in _image_pattern().findall(text):
            with contextlib.suppress(ValueError):
                found.add(normalise_version(tag))
    return found


def _image_texts(data: Any) -> Iterable[str]:
    if isinstance(data, dict):
        for tag_field, name_fields in IMAGE_FIELDS:
            if isinstance(data.get(tag_field), (str, int, float)):
                name = next((str(data[f]) for f in name_fields if isinstance(data.get(f), str)), "")
                yield f"{name}:{data[tag_field]}"
        for value in data.values():
            yield from _image_texts(value)
    elif isinstance(data, list):
        for item in data:
            yield from _image_texts(item)
    elif isinstance(data, str):
        yield data


# ---------------------------------------------------------------- kinds of input

COMMAND_FOR = {"toml": "k8s-migrate toml", "values": "k8s-migrate values", "configmap": "k8s-migrate configmap",
               "xml": "k8s-migrate xml"}
_TOML_TABLE = re.compile(r"^\s*\[\[?[\w.\"'-]+\]\]?\s*(#.*)?$", re.MULTILINE)
_TOML_ASSIGN = re.compile(r"^\s*[\w.\"'-]+\s*=", re.MULTILINE)
_YAML_KEY = re.compile(r"^\s*[\w.\"'/-]+:(\s|$)", re.MULTILINE)
_CONFIGMAP = re.compile(r"^kind:\s*['\"]?ConfigMap\b", re.MULTILINE)
_LIST = re.compile(r"^kind:\s*['\"]?List\b", re.MULTILINE)


def sniff_kind(text: str) -> str | None:
    """What a text is, cheaply: 'configmap', 'toml', 'values', 'xml', or None when it cannot tell."""
    import tomllib

    from .formats.toml_strict import strict_reading

    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        return "xml"
    if _CONFIGMAP.search(text) or (_LIST.search(text) and "ConfigMap" in text):
        return "configmap"
    try:
        strict_reading(text)
        is_toml = True
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        is_toml = False
    if is_toml and (_TOML_TABLE.search(text) or _TOML_ASSIGN.search(text)):
        return "toml"
    if _YAML_KEY.search(text) and not _TOML_TABLE.search(text):
        return "values"
    return None


def wrong_kind(text: str, expected: str) -> str | None:
    """One line naming the right command when the text is clearly another kind of input than ``expected``."""
    found = sniff_kind(text)
    if found is None or found == expected:
        return None
    what = {"configmap": "a Kubernetes ConfigMap manifest", "toml": "a deployment.toml (TOML)",
            "values": "a YAML file (a Helm values file?)", "xml": "an XML file"}[found]
    return f"this is {what}, not {_EXPECTED[expected]}: use '{COMMAND_FOR[found]}'"


_EXPECTED = {"toml": "a deployment.toml", "values": "a Helm values file", "configmap": "a ConfigMap manifest",
             "xml": "an XML file"}
