"""A 2.x repository/conf -> the deployment.toml of any 3.x/4.x version, with one report entry per XML customisation.

The XML customisations land on the template version's stock file (3.0.0, or ``--onto``); for later
targets that file then goes through the TOML rule packs in rebase mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from k8s_migrate.carryover import Baseline, ItemMatcher
from k8s_migrate.catalog import load_catalog
from k8s_migrate.data import load_json
from k8s_migrate.errors import UsageError
from k8s_migrate.formats.text import decode
from k8s_migrate.formats.toml import TomlDocument
from k8s_migrate.hub import HubKey, KeyPath, flatten, format_key
from k8s_migrate.hub import nest as nest_leaves
from k8s_migrate.migrate.toml import Options, Result, collector_paused, migrate_toml, stock_for, stock_text, tidy
from k8s_migrate.proof import outputs_kept
from k8s_migrate.report import Action, Entry, Report
from k8s_migrate.report.masking import is_secret_key
from k8s_migrate.request import known_version
from k8s_migrate.rules.values import same_value
from k8s_migrate.versions import version_key
from k8s_migrate.xml.customisations import Customisation, XmlInputError, XmlResult, skipped_files, xml_customisations
from k8s_migrate.xml.document import XmlSyntaxError

LANDED: Action = "moved"  # an XML location that became a TOML key


@dataclass
class TemplateLanding:
    """What became of one hub key on the template version's file."""

    built_key: str  # the key in the template-version file (array items placed by identity)
    value: Any
    status: str  # set | same | default
    where: str = ""  # for "default": which default it equals


@dataclass
class TemplateFile:
    text: str
    landings: dict[str, TemplateLanding] = field(default_factory=dict)  # hub key -> landing


@collector_paused
def migrate_xml(conf_path: Path | str, options: Options) -> Result:
    """The target version's deployment.toml for a 2.x repository/conf folder (or one XML file)."""
    with outputs_kept():  # the TOML stage's proof and check_claims read the same output
        return xml_to_toml(conf_path, options)


def xml_to_toml(conf_path: Path | str, options: Options) -> Result:
    from_version, to_version = options.given_versions()
    found = read_customisations(Path(conf_path), from_version)
    target = target_version(to_version, found.template_version)
    reaches_target = target == found.template_version
    base_text, base_name = template_base(found.template_version, options, use_onto=reaches_target)
    built = build_template_file(found, base_text, base_name, found.template_version)
    original = base_text if reaches_target else ""
    report = Report(str(conf_path), found.from_version, target)
    skipped = skipped_files(Path(conf_path), found.files)
    if skipped:
        report.notes.append(f"not read ({len(skipped)} files: this migration reads only "
                            f"{', '.join(sorted(found.files))}): {', '.join(skipped)}")
    if reaches_target:
        output, stage = built.text, None
    else:
        toml_options = replace(options, from_version=found.template_version, to_version=target, mode="rebase")
        toml_result = migrate_toml(built.text.encode(), f"{found.template_version} deployment.toml", toml_options)
        output, stage = toml_result.output, toml_result.report
        original = options.onto.decode("utf-8", "replace") if options.onto is not None else ""
        report.notes.extend(xml_notes(stage.notes, built, found.template_version))
    report.notes.append(f"built on the {found.template_version} stock file ({base_name}); "
                        f"XML read as API-M {found.from_version}")
    report.extend(customisation_entries(found, built, stage, target))
    if stage is not None:
        report.extend(finding_entries(stage))
    report.changed = output != original
    check_claims(report, output)
    return Result(output, report, original)


def check_claims(report: Report, output: str) -> None:
    """The proof's report-against-output half: each entry that says where a value went must find it there
    (the TOML stage, when there is one, was proven in full by migrate_toml)."""
    from ..errors import ProofError
    from ..hub import flatten
    from ..proof import disagreements, read_output

    problems = disagreements(report.entries, flatten(read_output(output)))
    if problems:
        raise ProofError(problems, report.input, report)


def xml_notes(notes: list[str], built: TemplateFile, template_version: str) -> list[str]:
    """The TOML stage's notes, said of the XML: a profile 'detected' from a server role the XML files do not
    hold came from the stock file the customisations were built on."""
    from ..profiles import profile_data, profile_in_notes

    role_key = profile_data()["detection"]["role_key"]
    if role_key in built.landings:
        return list(notes)
    out = []
    for note in notes:
        profile = profile_in_notes([note])
        if profile and "(detected" in note and role_key in note:
            note = (f"profile {profile} (the XML files set no {role_key}; the {template_version} stock file they were "
                    "built on says so; give --profile for a distributed node)")
        out.append(note)
    return out


# ---- input ----------------------------------------------------------------------------------
def read_customisations(conf_path: Path, from_version: str) -> XmlResult:
    try:
        return xml_customisations(conf_path, from_version)
    except (XmlInputError, XmlSyntaxError) as exc:
        raise UsageError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{conf_path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UsageError(f"{exc.filename or conf_path}: {exc.strerror or exc}") from None


def target_version(text: str, template_version: str) -> str:
    target = known_version(text)
    if version_key(target) < version_key(template_version):
        raise UsageError(f"--to {text}: the XML era migrates to {template_version} or later")
    return target


def template_base(template_version: str, options: Options, use_onto: bool) -> tuple[str, str]:
    """The stock text the customisations land on: --onto when it is for this version, else the derived stock."""
    if use_onto and options.onto is not None:
        name = options.onto_name or "--onto"
        return decode(options.onto, name).text, name
    return stock_text(stock_for(load_catalog(template_version), options.profile)), f"{template_version} stock"


# ---- the template version's file ------------------------------------------------------------
def build_template_file(found: XmlResult, base_text: str, base_name: str, version: str) -> TemplateFile:
    """Set each customised hub key on the base file; array items go to their counterpart by identity."""
    out = TomlDocument(decode(base_text.encode(), base_name), base_name)
    base_data = out.data()
    baseline = Baseline(load_catalog(version), base_data, f"{version} stock file")
    base_flat = flatten(base_data)
    xml_data = nest_hub_keys(found.keys)
    matcher = ItemMatcher(xml_data, base_data)
    placed: dict[KeyPath, int] = {}
    appended: set[KeyPath] = set()
    built = TemplateFile("")
    for hub in found.keys:
        path = place(hub.path, matcher, out, placed, appended)
        new_item = any(path[: i + 1] in appended for i, s in enumerate(path) if isinstance(s, int))
        if hub.item_context and not new_item:
            continue
        built.landings[hub.key] = land(hub, path, out, baseline, base_flat, new_item)
    built.text = tidy(out.dumps())
    return built


def nest_hub_keys(keys: list[HubKey]) -> dict[str, Any]:
    """The hub keys as nested data (arrays of tables as lists), for matching items by identity."""
    return nest_leaves((hub.path, hub.value) for hub in keys)


def place(path: KeyPath, matcher: ItemMatcher, out: TomlDocument, placed: dict[KeyPath, int],
          appended: set[KeyPath]) -> KeyPath:
    """Where a hub key lands: array items to the base item with the same identity, or to a new item."""
    result: list[str | int] = list(path)
    for pos in (i for i, s in enumerate(path) if isinstance(s, int)):
        item = path[: pos + 1]
        if item not in placed:
            in_base = matcher.translate(item, tuple(result[: pos + 1]))
            if in_base is None:
                placed[item] = out.append_item(tuple(result[:pos]), {})
                appended.add(tuple(result[:pos]) + (placed[item],))
            else:
                base_index = in_base[-1]
                assert isinstance(base_index, int), "an array item's path ends in its index"
                placed[item] = base_index
        result[pos] = placed[item]
    return tuple(result)


def land(hub: HubKey, path: KeyPath, out: TomlDocument, baseline: Baseline, base_flat: dict[KeyPath, Any],
         new_item: bool) -> TemplateLanding:
    key = format_key(path)
    if path in base_flat:
        if same_value(base_flat[path], hub.value) and type(base_flat[path]) is type(hub.value):
            return TemplateLanding(key, hub.value, "same")
    elif not new_item:
        found, default, where = baseline.default(path, path)
        if found and same_value(default, hub.value):
            return TemplateLanding(key, hub.value, "default", where)
    out.set(path, hub.value)
    return TemplateLanding(key, hub.value, "set")


# ---- the report -----------------------------------------------------------------------------
def customisation_entries(found: XmlResult, built: TemplateFile, stage: Report | None, target: str) -> list[Entry]:
    derived = derived_keys(found.keys)
    stage_by_key = entries_by_old_key(stage) if stage else {}
    entries = []
    for cust in found.customisations:
        keys = list(dict.fromkeys(cust.keys + [d for k in cust.keys for d in derived.get(k, [])]))
        entries.append(customisation_entry(cust, keys, built, stage_by_key, found.template_version, target,
                                           stage is not None))
    return entries


def derived_keys(keys: list[HubKey]) -> dict[str, list[str]]:
    """Keys the reader added for another key (a [database.*] type from its JDBC URL)."""
    out: dict[str, list[str]] = {}
    for hub in keys:
        if hub.derived_from:
            out.setdefault(hub.derived_from, []).append(hub.key)
    return out


def entries_by_old_key(report: Report) -> dict[str, list[Entry]]:
    out: dict[str, list[Entry]] = {}
    for entry in report.entries:
        if entry.old_key is not None:
            out.setdefault(entry.old_key, []).append(entry)
    return out


def customisation_entry(cust: Customisation, keys: list[str], built: TemplateFile,
                        stage_by_key: dict[str, list[Entry]], template_version: str, target: str,
                        chained: bool) -> Entry:
    rule, source = cust.rule, rule_source(cust, template_version)
    landings = [built.landings[k] for k in keys if k in built.landings]
    finals: dict[str, Any] = {}
    notes: list[str] = []
    actions: list[Action] = []
    for landing in landings:
        step = f"{template_version}: {landing.built_key}"
        if landing.status == "same":
            step += f" (the {template_version} stock file already has this value)"
        elif landing.status == "default":
            step += f" (equals the {landing.where}; left out)"
        if not chained:
            notes.append(step if landing.status != "set" else "")
            if landing.status != "default":
                finals[landing.built_key] = landing.value
            actions.append("defaulted" if landing.status != "set" else LANDED)
            continue
        later = stage_by_key.get(landing.built_key, [])
        for toml_entry in later:
            if toml_entry.new_key and toml_entry.action not in ("removed", "defaulted"):
                finals[toml_entry.new_key] = toml_entry.new_value
            rule = join_ids(rule, toml_entry.rule)
            source = join_ids(source, toml_entry.source, " ; ")
            step += f" -> {target}: {toml_entry.new_key or 'left out'}"
            if toml_entry.message:
                step += f" ({toml_entry.message})"
            actions.append(toml_entry.action)
        if not later:
            actions.append("defaulted" if landing.status != "set" else LANDED)
            if landing.status == "set":
                step += f" -> {target}: not carried"
        notes.append(step)
    new_key, new_value = final_key_and_value(finals)
    message = "; ".join(filter(None, [cust.message or rule_fact(cust, template_version, "message"), *notes]))
    if not message and not keys:
        message = f"{cust.action} in the XML; nothing to carry"
    return Entry(entry_action(cust, actions), cust.xpath, new_key,
                 cust.stock_value if cust.action == "removed" else cust.user_value, new_value, rule=rule,
                 source=source, message=message, line=cust.line, file=cust.file,
                 origin=f"{cust.file}:{cust.line or '-'} {cust.xpath}",
                 confidence=rule_fact(cust, template_version, "confidence"))


ATTENTION_FIRST: tuple[Action, ...] = (
    "review", "unknown", "removed", "changed", LANDED, "renamed", "kept", "defaulted")


def entry_action(cust: Customisation, actions: list[Action]) -> Action:
    if cust.message:
        return "review"
    if not actions:
        return LANDED if cust.rule else "review"
    ranked = sorted(set(actions), key=lambda a: ATTENTION_FIRST.index(a) if a in ATTENTION_FIRST else 0)
    action = ranked[0]
    if action in ("kept", "renamed"):
        return LANDED
    return action


def final_key_and_value(finals: dict[str, Any]) -> tuple[str | None, Any]:
    """One key and its value, or the keys joined (secret keys last, so masking sees them) and a table of values."""
    if not finals:
        return None, None
    if len(finals) == 1:
        return next(iter(finals.items()))
    keys = sorted(finals, key=is_secret_key)
    return ", ".join(keys), {k: finals[k] for k in keys}


def join_ids(a: str | None, b: str | None, sep: str = ",") -> str | None:
    parts = [p for p in (a, b) if p]
    return sep.join(dict.fromkeys(parts)) or None


def finding_entries(stage: Report) -> list[Entry]:
    """The TOML stage's rule findings (entries not tied to a key of the file)."""
    return [e for e in stage.entries if e.old_key is None]


# ---- rule facts -----------------------------------------------------------------------------
@lru_cache(maxsize=None)
def xml_rules(template_version: str) -> dict[str, dict[str, Any]]:
    rules = load_json(f"xml/rules-2.x-{template_version}.json")
    found = {}
    for group in ("datasource_roles", "split_by_scheme", "url_groups", "checks"):
        for rule in rules.get(group, []):
            found[rule["id"]] = rule
    return found


def rule_fact(cust: Customisation, template_version: str, name: str) -> Any:
    return xml_rules(template_version).get(cust.rule or "", {}).get(name)


def rule_source(cust: Customisation, template_version: str) -> str | None:
    if cust.rule and cust.rule.startswith("template:"):
        line = cust.rule.split(":", 1)[1]
        return f"{template_version} template {cust.file}.j2 line {line} (inverted template map)"
    return rule_fact(cust, template_version, "source")
