"""Render Helm charts' deployment.toml without helm: a Go text/template + Sprig evaluator with Helm's context.

Values are typed as Helm types them (every YAML number becomes a float64, so 1000000 prints as 1e+06),
missing keys print as "" and compare as nil, and anything the evaluator does not support raises
TemplateError naming the template and line.
"""

from __future__ import annotations

import base64
import copy
import datetime
import os
import posixpath
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import ScalarNode

from . import render_cache
from .gotemplate import FUNCTIONS, GoObject, Template, TemplateError, strip_no_value, yamlout
from .gotemplate.execute import know_parses, parse_texts

if TYPE_CHECKING:  # a chart's paths are text here: pathlib is not imported on the path of a render or a verify
    from pathlib import Path

__all__ = ["Chart", "Rendering", "TemplateError", "helm_values", "list_instances", "load_chart", "merge_values",
           "config_data", "render_deployment_toml", "render_string", "render_template"]

CONFIG_FILE = "deployment.toml"
_FILES_REF = re.compile(r'\.Files\.(Get|Glob)\s+"([^"]+)"')
_DATA_KEY = re.compile(r"^\s*" + re.escape(CONFIG_FILE) + r"\s*:", re.M)


# ---- values ------------------------------------------------------------------------------------------

class _TimestampsAsText(SafeConstructor):
    """Helm turns values YAML into JSON before reading it: a timestamp stays the text it was written as."""


_TimestampsAsText.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: node.value)


def _yaml(pure: bool = True) -> YAML:
    yaml = YAML(typ="safe", pure=pure)
    yaml.version = (1, 1)  # Helm reads values with go-yaml v2: yes/no/on/off are booleans
    yaml.Constructor = _TimestampsAsText
    yaml.allow_duplicate_keys = True
    return yaml


def _loaded(load: Callable[[YAML, str], Any], text: str) -> Any:
    """``load(yaml, text)`` with ruamel's C parser (ruamel.yaml.clib, several times faster); with the pure one
    when the C parser refuses the text, so that errors read as they always have, or when the text names its
    own YAML version (the C parser follows a %YAML directive, the pure one keeps 1.1)."""
    from ruamel.yaml.error import YAMLError

    if "%YAML" not in text:
        try:
            return _load_once(load, _yaml(pure=False), text)
        except YAMLError:
            pass
    return _load_once(load, _yaml(), text)


def _load_once(load: Callable[[YAML, str], Any], yaml: YAML, text: str) -> Any:
    """``load(yaml, text)``, then the YAML lets go of its loader and the text: they hold each other, and with the
    collector paused (a CLI run) that cycle would keep the text (a rendered ConfigMap: more than the values file)
    to the end."""
    try:
        return load(yaml, text)
    finally:
        loader = vars(yaml).get("_scanner")  # the C loader is its own parser and composer: a cycle of its own
        if loader is not None and hasattr(loader, "__dict__"):
            vars(loader).clear()
        vars(yaml).clear()


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def helm_values(data: Any) -> Any:
    """Plain data typed as Helm sees values: numbers float64, maps and lists plain, dates as text."""
    if isinstance(data, dict):
        return {_key_text(k): helm_values(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [helm_values(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, (int, float)):
        return float(data)
    if isinstance(data, (datetime.date, datetime.datetime)):
        return data.isoformat()
    return str(data)


def load_values_text(text: str) -> dict:
    """Values as Helm reads them (a repeated key: the last one wins)."""
    documents = _read_events(text) if "%YAML" not in text else None
    if documents is None:
        documents = _composed_documents(text)
    documents = [d for d in documents if d is not None]
    loaded = documents[0] if documents else None
    return helm_values(loaded) if isinstance(loaded, dict) else {}


def _composed_documents(text: str) -> list:
    """The documents as ruamel composes and constructs them (the reading _read_events gives, the slow way)."""
    from ..formats.duplicate_keys import load_documents

    return _loaded(lambda yaml, t: load_documents(yaml, t)[0], text)


class _Unusual(Exception):
    """An anchor, alias, tag, complex key or special scalar: left to _composed_documents."""


_CONSTRUCTED = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "timestamp"))
_FLOAT = "tag:yaml.org,2002:float"
_INT = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")  # an int the constructor reads as int() does (no base, _ or :)


class _EventReader:
    """Documents built from the C parser's events with the loader's own resolver and constructors: what ruamel's
    composer and constructor give for the same text (a repeated key's earlier entries dropped, then the first of
    keys that construct equal kept), without building the node tree."""

    def __init__(self, loader: Any):
        self.loader = loader
        self.resolvers = loader.versioned_resolver
        if None in self.resolvers:
            raise _Unusual("a resolver for any first character")
        self.next = loader.get_event
        self.constructed: dict[tuple[str, str], Any] = {}

    def documents(self) -> list:
        out = []
        self.next()  # the stream's start
        while not isinstance(event := self.next(), StreamEndEvent):
            assert isinstance(event, DocumentStartEvent), event
            out.append(self.node(self.next()))
            assert isinstance(self.next(), DocumentEndEvent)
        return out

    def node(self, event: Any) -> Any:
        kind = type(event)
        if kind is ScalarEvent:
            return self.scalar(event)
        if kind not in (MappingStartEvent, SequenceStartEvent) or event.anchor is not None or event.tag is not None:
            raise _Unusual(kind.__name__)
        if kind is SequenceStartEvent:
            items = []
            while type(item := self.next()) is not SequenceEndEvent:
                items.append(self.node(item))
            return items
        return self.mapping()

    def mapping(self) -> dict:
        entries = []
        while type(key := self.next()) is not MappingEndEvent:
            if type(key) is not ScalarEvent:
                raise _Unusual("complex key")
            entries.append((key.value, self.scalar(key), self.node(self.next())))
        last = {text: position for position, (text, _, _) in enumerate(entries)}
        out: dict = {}
        for position, (text, key, value) in enumerate(entries):
            if last[text] == position and key not in out:
                out[key] = value
        return out

    def scalar(self, event: Any) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise _Unusual("anchor or tag")
        value = event.value
        if not event.implicit[0]:
            return value
        for tag, pattern in self.resolvers.get(value[0] if value else "", ()):
            if pattern.match(value):
                return self.construct(str(tag), value, event)
        return value

    def construct(self, tag: str, value: str, event: Any) -> Any:
        """The loader's own constructor's value; kept for the next same text (not a float's: its constructor
        may warn, naming where the text stands)."""
        if tag not in _CONSTRUCTED:
            raise _Unusual(tag)
        found = self.constructed.get((tag, value), self)
        if found is self and tag == _INT and _DECIMAL.fullmatch(value):
            found = self.constructed[(tag, value)] = int(value)  # the constructor's answer, without its version lookups
        if found is self:
            found = self.loader.construct_object(ScalarNode(tag, value, event.start_mark, event.end_mark, event.style))
            if tag != _FLOAT:
                self.constructed[(tag, value)] = found
        return found


def _read_events(text: str) -> list | None:
    """The documents of ``text`` as _composed_documents reads them with the C parser, or None when this reading
    does not apply: on any failure, of the text or of this reader, _composed_documents reads the text (or fails
    on it) as it always has."""
    from ruamel.yaml.main import CParser

    if CParser is None:  # ruamel.yaml.clib is not installed
        return None
    yaml, loader = _yaml(pure=False), None
    try:
        loader, _ = yaml.get_constructor_parser(text)
        return _EventReader(loader).documents()
    except Exception:
        return None
    finally:
        if loader is not None:
            loader.dispose()
            # the loader and its YAML hold each other (through the loader class's closure), and with the
            # collector paused (a CLI run) that cycle would keep the text and the C parser's buffers to the end
            vars(loader).clear()
        vars(yaml).clear()


def merge_values(defaults: dict, overrides: dict) -> dict:
    """Helm's coalesce: maps merge key by key, lists and scalars replace, an override of null deletes
    the chart's default (a null for a key the chart does not have stays null)."""
    return _coalesce(defaults, overrides, _copied)


def _coalesce(defaults: dict, overrides: dict, take: Callable[[Any], Any]) -> dict:
    """merge_values with ``take`` applied to each override value it uses (a copy, or the value itself when
    the overrides are the caller's fresh copy)."""
    return _coalesce_into(_copied(defaults), overrides, take)


def _coalesce_into(merged: dict, overrides: dict, take: Callable[[Any], Any]) -> dict:
    """_coalesce on ``merged``, a copy of the defaults of its own: its maps are merged into in place (copying each
    again on the way down cost a render's values a copy per level)."""
    for key, value in overrides.items():
        if value is None and key in merged:
            del merged[key]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            _coalesce_into(merged[key], value, take)
        else:
            merged[key] = take(value)
    return merged


def _copied(value: Any) -> Any:
    """A deep copy, made directly for the plain data values are (dicts, lists, scalars)."""
    kind = type(value)
    if kind is dict:
        return {k: _copied(v) for k, v in value.items()}
    if kind is list:
        return [_copied(v) for v in value]
    if kind in (str, float, int, bool) or value is None:
        return value
    return copy.deepcopy(value)


# ---- Helm's built-in objects ----------------------------------------------------------------------------

class Files(GoObject):
    """.Files: the chart's non-template files, read on demand."""

    go_type = "chart.Files"

    def __init__(self, paths: dict[str, str]):
        self._paths = paths

    def _text(self, name: str) -> str | None:
        path = self._paths.get(name)
        return _as_read_text(_read_bytes(path), "replace") if path else None

    def Get(self, name: Any) -> str:  # noqa: N802 - Go method name
        return self._text(str(name)) or ""

    def GetBytes(self, name: Any) -> str:  # noqa: N802
        return self.Get(name)

    def Glob(self, pattern: Any) -> "Files":  # noqa: N802
        return Files({k: v for k, v in self._paths.items() if _glob_match(str(pattern), k)})

    def Lines(self, name: Any) -> list[str]:  # noqa: N802
        text = self._text(str(name))
        if not text:
            return []
        return text.removesuffix("\n").split("\n")

    def AsConfig(self) -> str:  # noqa: N802
        data = {posixpath.basename(k): self._text(k) for k in self._paths}
        return yamlout.to_yaml(data).removesuffix("\n") if data else ""

    def AsSecrets(self) -> str:  # noqa: N802
        data = {posixpath.basename(k): base64.b64encode(_read_bytes(self._paths[k])).decode() for k in self._paths}
        return yamlout.to_yaml(data).removesuffix("\n") if data else ""

    def go_items(self) -> list[tuple[str, str]]:
        return [(k, self._text(k) or "") for k in sorted(self._paths)]

    def __len__(self) -> int:
        return len(self._paths)


def _glob_match(pattern: str, name: str) -> bool:
    """gobwas/glob with '/' as separator: '*' stays within a path segment, '**' crosses them."""
    regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace("\0", ".*")
    regex = regex.replace(r"\?", "[^/]")
    return re.fullmatch(regex, name) is not None


class ChartMetadata(GoObject):
    go_type = "*chart.Metadata"

    def __init__(self, meta: dict):
        self.Name = str(meta.get("name", ""))
        self.Version = str(meta.get("version", ""))
        self.AppVersion = str(meta.get("appVersion", ""))
        self.APIVersion = str(meta.get("apiVersion", ""))
        self.Description = str(meta.get("description", ""))
        self.Type = str(meta.get("type", ""))
        self.KubeVersion = str(meta.get("kubeVersion", ""))
        self.Home = str(meta.get("home", ""))
        self.Icon = str(meta.get("icon", ""))
        self.Keywords = list(meta.get("keywords") or [])
        self.Sources = list(meta.get("sources") or [])
        self.Annotations = dict(meta.get("annotations") or {})
        self.Deprecated = bool(meta.get("deprecated", False))


class KubeVersion(GoObject):
    go_type = "chartutil.KubeVersion"

    def __init__(self, version: str = "v1.29.0"):
        major, minor = version.lstrip("v").split(".")[:2]
        self.Version = version
        self.GitVersion = version
        self.Major = major
        self.Minor = minor

    def __str__(self) -> str:
        return self.Version


class APIVersions(GoObject):
    go_type = "chartutil.VersionSet"

    def Has(self, api: Any) -> bool:  # noqa: N802
        return str(api) in ("v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "policy/v1",
                            "autoscaling/v2", "rbac.authorization.k8s.io/v1")


class Capabilities(GoObject):
    go_type = "*chartutil.Capabilities"

    def __init__(self) -> None:
        self.KubeVersion = KubeVersion()
        self.APIVersions = APIVersions()
        self.HelmVersion = {"Version": "v3.14.0"}


# ---- charts --------------------------------------------------------------------------------------------

class Chart:
    """A chart directory as read (a plain class: dataclasses is the largest import a render would make for it)."""

    def __init__(self, path: str, metadata: dict, values: dict, files: dict[str, str], templates: dict[str, str]):
        self.path, self.metadata, self.values = path, metadata, values
        self.files = files  # chart-relative posix path -> file, outside templates/
        self.templates = templates  # chart-relative posix path -> file, under templates/
        self._parsed: dict[str, str] = {}
        self._helpers: Template | None = None
        self._sources: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"Chart(path={self.path!r}, name={self.name!r})"

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", os.path.basename(self.path)))

    def template_text(self, relative: str) -> str:
        if relative not in self._parsed:
            self._parsed[relative] = _as_read_text(_read_bytes(self.templates[relative]))
        return self._parsed[relative]


def load_chart(chart_dir: str | Path) -> Chart:
    """Read a chart directory: Chart.yaml, values.yaml, templates/** and the other files (.Files)."""
    path = os.path.realpath(chart_dir)
    marker = os.path.join(path, "Chart.yaml")
    if not os.path.isfile(marker):
        raise FileNotFoundError(f"no Chart.yaml in {path}")
    return _load_chart_cached(path, os.stat(marker).st_mtime_ns)


@lru_cache(maxsize=64)
def _load_chart_cached(path_text: str, _mtime: int) -> Chart:
    files: dict[str, str] = {}
    templates: dict[str, str] = {}
    for relative, item in _chart_files(path_text):
        if relative.startswith("templates/"):
            templates[relative] = item
        elif relative not in ("Chart.yaml", "values.yaml") and not relative.startswith("charts/"):
            files[relative] = item
    contents = {relative: _read_bytes(item) for relative, item in [*templates.items(), *files.items()]}
    for own in ("Chart.yaml", "values.yaml"):
        if os.path.isfile(os.path.join(path_text, own)):
            contents[own] = _read_bytes(os.path.join(path_text, own))
    key = render_cache.entry_key(path_text, contents)
    entry = render_cache.read(key)
    if entry is None:
        entry = _chart_entry(contents)
        render_cache.write(key, entry)
    metadata, values, parses = entry
    know_parses(parses)
    chart = Chart(path_text, metadata, values, files, templates)
    for relative in templates:
        try:
            chart._parsed[relative] = _as_read_text(contents[relative])
        except UnicodeDecodeError:
            continue  # template_text raises it where the template is used
    return chart


def _chart_files(folder: str) -> list[tuple[str, str]]:
    """(relative path, path) of each file under the folder, as ``sorted(Path(folder).rglob("*"))`` gives them with
    is_file, each path as its text (walked, not globbed: a glob compiles its pattern on every run, and made a path
    object of each entry)."""
    found = []
    prefix = os.path.join(folder, "")
    for parent, _, names in os.walk(folder):
        for name in names:
            full = os.path.join(parent, name)
            if os.path.isfile(full):
                found.append((full[len(prefix):].replace(os.sep, "/"), full))
    found.sort(key=lambda pair: pair[0].split("/"))
    return found


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _as_read_text(data: bytes, errors: str = "strict") -> str:
    """The text ``Path.read_text`` gives for these bytes (UTF-8, universal newlines)."""
    return data.decode("utf-8", errors).replace("\r\n", "\n").replace("\r", "\n")


def _chart_entry(contents: dict[str, bytes]) -> tuple[dict, dict, dict]:
    """What a chart's cache entry holds: metadata, values as Helm types them, the parse of each template text
    (pickled on its own)."""
    metadata = _loaded(lambda yaml, t: yaml.load(t), _as_read_text(contents["Chart.yaml"])) or {}
    values = load_values_text(_as_read_text(contents["values.yaml"])) if "values.yaml" in contents else {}
    texts = [_as_read_text(data, "replace") for relative, data in contents.items()
             if relative not in ("Chart.yaml", "values.yaml") and b"{{" in data]
    return metadata, values, parse_texts(texts)


def _template_set(chart: Chart) -> Template:
    """The chart's helpers (.tpl defines), parsed once per chart; each render adds to its own copy."""
    if chart._helpers is None:
        helpers = Template(FUNCTIONS)
        for relative in chart.templates:
            if relative.endswith(".tpl"):
                helpers.add(chart.template_text(relative), f"{chart.name}/{relative}")
        chart._helpers = helpers
    return chart._helpers.copy()


def _context(chart: Chart, values: dict, template_name: str, release_name: str, namespace: str) -> dict:
    return {
        "Values": values,
        "Release": {"Name": release_name, "Namespace": namespace, "Service": "Helm", "IsInstall": True,
                    "IsUpgrade": False, "Revision": 1},
        "Chart": ChartMetadata(chart.metadata),
        "Capabilities": Capabilities(),
        "Template": {"Name": f"{chart.name}/{template_name}", "BasePath": f"{chart.name}/templates"},
        "Files": Files(chart.files),
    }


class Rendering:
    """One chart and one set of values: the values merged over the chart's once, each template rendered
    from its own copy of them (a template may change .Values with set)."""

    def __init__(self, chart: Chart | str | Path, values: dict | None = None, release_name: str = "release",
                 namespace: str = "default", typed: bool = False):
        """``typed``: the values are already as Helm reads them (load_values_text's), and no one edits them."""
        self.chart = chart if isinstance(chart, Chart) else load_chart(chart)
        self.merged = _coalesce(self.chart.values, (values or {}) if typed else helm_values(values or {}),
                                lambda fresh: fresh)
        self.release_name, self.namespace = release_name, namespace

    def template(self, template: str) -> str:
        """Render one chart template (path relative to the chart, e.g. templates/am/wso2am-conf.yaml)."""
        chart = self.chart
        templates = _template_set(chart)
        name = f"{chart.name}/{template}"
        nodes = templates.add(chart.template_text(template), name)
        context = _context(chart, _copied(self.merged), template, self.release_name, self.namespace)
        return strip_no_value(templates.execute(nodes, name, context))

    def deployment_toml(self, instance: str | None = None) -> str:
        """The deployment.toml of one instance (default: the first)."""
        template = _pick_instance(config_sources(self.chart), instance, self.chart)
        return config_data(self.template(template), self.chart, template)


def render_template(chart: Chart | str | Path, template: str, values: dict | None = None,
                    release_name: str = "release", namespace: str = "default") -> str:
    """Render one chart template (path relative to the chart, e.g. templates/am/wso2am-conf.yaml)."""
    return Rendering(chart, values, release_name, namespace).template(template)


def render_string(text: str, context: dict, name: str = "<string>", defines: dict | None = None) -> str:
    """Render a template string against `context` (used as given; see helm_values for Helm typing).

    `defines` maps template names to their bodies, for `include` / `template`.
    """
    templates = Template(FUNCTIONS)
    for define_name, body in (defines or {}).items():
        templates.add(f'{{{{- define "{define_name}" -}}}}{body}{{{{- end -}}}}', f"define:{define_name}")
    nodes = templates.add(text, name)
    return strip_no_value(templates.execute(nodes, name, context))


# ---- deployment.toml -----------------------------------------------------------------------------------

def _produces_config(chart: Chart, relative: str) -> bool:
    text = chart.template_text(relative)
    refs = _FILES_REF.findall(text)
    if refs:
        return any(posixpath.basename(f) == CONFIG_FILE and (f == target if kind == "Get" else _glob_match(target, f))
                   for kind, target in refs for f in chart.files)
    return bool(_DATA_KEY.search(text))


def config_sources(chart: Chart) -> dict[str, str]:
    """Instance id (template folder under templates/) -> the template that renders a deployment.toml."""
    if chart._sources is None:
        chart._sources = _find_config_sources(chart)
    return dict(chart._sources)


def _find_config_sources(chart: Chart) -> dict[str, str]:
    sources: dict[str, str] = {}
    for relative in chart.templates:
        if relative.endswith((".yaml", ".yml")) and _produces_config(chart, relative):
            folder = posixpath.dirname(relative).removeprefix("templates").removeprefix("/") or "."
            key = folder if folder not in sources else f"{folder}/{posixpath.splitext(posixpath.basename(relative))[0]}"
            sources[key] = relative
    return dict(sorted(sources.items()))


def list_instances(chart_dir: str | Path) -> list[str]:
    """Ids of the deployment.toml files a chart renders, e.g. ['am/instance-1', 'am/instance-2']."""
    return list(config_sources(load_chart(chart_dir)))


def _pick_instance(sources: dict[str, str], instance: str | None, chart: Chart) -> str:
    if not sources:
        raise TemplateError(f"chart {chart.path} has no template that renders a {CONFIG_FILE}")
    if instance is None:
        return next(iter(sources.values()))
    if instance in sources:
        return sources[instance]
    wanted = instance.strip("/").split("/")
    matches = [k for k in sources if k.split("/")[-len(wanted):] == wanted]
    if len(matches) != 1:
        problem = "is ambiguous" if matches else "is unknown"
        raise TemplateError(f"instance {instance!r} {problem} in {chart.path}; known: {', '.join(sources)}")
    return sources[matches[0]]


RENDERERS = ("builtin", "helm")


def render_deployment_toml(chart_dir: str | Path, values: dict | None = None, instance: str | None = None,
                           release_name: str = "release", namespace: str = "default", renderer: str = "builtin") -> str:
    """The deployment.toml a chart produces for `values` (merged over the chart's values.yaml).

    `renderer` "helm" runs the real `helm template` for the same template instead of the built-in evaluator.
    """
    chart = load_chart(chart_dir)
    if renderer != "helm":
        return Rendering(chart, values, release_name, namespace).deployment_toml(instance)
    template = _pick_instance(config_sources(chart), instance, chart)
    return config_data(_helm_render(chart, template, values, release_name, namespace), chart, template)


def _helm_render(chart: Chart, template: str, values: dict | None, release_name: str, namespace: str) -> str:
    import json

    from .helm import helm_template, split_manifests

    try:
        output = helm_template(chart.path, [json.dumps(helm_values(values or {}))], None, release_name, namespace,
                               show_only=template)
    except TemplateError as exc:
        if "could not find template" in str(exc):
            return ""
        raise
    return "".join(text for _, text in split_manifests(output))


def config_data(rendered: str, chart: Chart, template: str) -> str:
    """The data.deployment.toml string of a rendered ConfigMap template."""
    for document in _loaded(lambda yaml, t: list(yaml.load_all(t)), rendered):
        data = document.get("data") if isinstance(document, dict) else None
        if isinstance(data, dict) and CONFIG_FILE in data:
            return "" if data[CONFIG_FILE] is None else str(data[CONFIG_FILE])
    raise TemplateError(f"{template} rendered no data.{CONFIG_FILE}", f"{chart.name}/{template}", 1)
