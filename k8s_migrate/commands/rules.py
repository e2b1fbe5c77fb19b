"""`k8s-migrate rules list|show|lint|new`: the rule packs, one rule, their lint, and the next pack scaffolded."""

from __future__ import annotations

from typing import Optional

import typer

from ..report import exit_code
from .common import fail, finish

rules_app = typer.Typer(help="List, show and lint the migration rules.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def list_command(
    from_version: Optional[str] = typer.Option(None, "--from", help="Only the packs on the way from this version."),
    to_version: Optional[str] = typer.Option(None, "--to", help="Only the packs on the way to this version."),
) -> None:
    """List the rules: pack, id, op, keys, confidence."""
    for pack in selected_packs(from_version, to_version):
        for rule in pack.rules:
            typer.echo(f"{pack.name:<16} {rule.id:<44} {rule.op:<14} {rule.confidence:<6} {', '.join(rule.key_texts)}")


@rules_app.command("show")
def show_command(rule_id: str = typer.Argument(..., help="A rule id, e.g. r320-oauth-allowed-scopes.")) -> None:
    """Show one rule in full."""
    from ..errors import UsageError
    from ..rules.load import load_packs

    for pack in load_packs():
        for rule in pack.rules:
            if rule.id == rule_id:
                typer.echo(describe(rule))
                return
    fail(UsageError(f"no rule with id {rule_id!r} (see: k8s-migrate rules list)"))


@rules_app.command("lint")
def lint_command(
    packs: Optional[str] = typer.Option(
        None, "--packs", help="A folder of rule packs (default: the built-in mappings/apim)."
    ),
    golden: Optional[str] = typer.Option(
        None, "--golden", help="A folder with a golden case per rule (default: tests/golden/toml of a checkout)."
    ),
    evidence: Optional[str] = typer.Option(
        None,
        "--evidence",
        help="WSO2's own files per version (e.g. ../shared/reference): check each rule's claim against them.",
    ),
) -> None:
    """Check the packs: schema, unique ids, sources, from < to, conflicting rules, catalog keys, golden cases,
    and with --evidence each rule's claim against WSO2's default.json, templates and stock files."""
    from pathlib import Path

    from ..data import mappings_dir
    from ..errors import UsageError
    from ..rules.lint import default_golden_dir, lint, load_valid_packs

    folder = Path(packs) if packs else mappings_dir() / "apim"
    problems = lint(folder, Path(golden) if golden else default_golden_dir())
    if evidence is not None:
        from ..rules.evidence import evidence_problems

        if not Path(evidence).is_dir():
            fail(UsageError(f"--evidence {evidence}: not a folder"))
        problems += evidence_problems(load_valid_packs(folder), Path(evidence))
    for problem in problems:
        typer.echo(str(problem), err=True)
    finish(exit_code(findings=bool(problems)))
    typer.echo("rules lint: clean")


@rules_app.command("new")
def new_command(
    from_version: str = typer.Argument(..., metavar="FROM",
                                       help="Where the chain of packs ends today (the newest pack's 'to')."),
    to_version: str = typer.Argument(..., metavar="TO", help="The new API-M version, e.g. 4.8.0."),
    directory: Optional[str] = typer.Option(None, "--dir", metavar="DIR", help=(
        "The checkout to write into (default: the one this k8s-migrate runs from, "
        "or $K8S_MIGRATE_MAPPINGS's).")),
    rule_id: Optional[str] = typer.Option(None, "--rule-id", metavar="RULE_ID",
                                          help="The example rule's id (default: r<TO>-example-rename)."),
    key: str = typer.Option("example.old_key", "--key", metavar="KEY",
                            help="The example rename's old key (FROM's name)."),
    new_key: str = typer.Option("example.new_key", "--new-key", metavar="KEY",
                                help="The example rename's new key (TO's name)."),
) -> None:
    """Scaffold the next rule pack (mappings/apim/FROM-TO.yaml) and its example rule's golden case, as
    alembic revision does. See CONTRIBUTING.md for the rest of adding a version."""
    from pathlib import Path

    from ..errors import UsageError
    from ..rules.scaffold import ScaffoldError, default_checkout, plan_scaffold, write_scaffold

    try:
        checkout = Path(directory) if directory else default_checkout()
        plan = plan_scaffold(from_version, to_version, checkout, rule_id, key, new_key)
    except ScaffoldError as exc:
        fail(UsageError(str(exc)))
    for path in write_scaffold(plan):
        typer.echo(f"wrote {path}")
    catalog = plan.checkout / "mappings" / "catalog" / f"{plan.to_version}.json"
    if not catalog.is_file():
        typer.echo(f"note: no catalog {catalog} yet: run scripts/derive_catalogs.py (CONTRIBUTING.md)")
    typer.echo(f"next: edit {plan.pack_path.name} and {plan.golden_dir.name}/, then k8s-migrate rules lint")


def selected_packs(from_version: str | None, to_version: str | None):
    from ..catalog import known_versions, resolve_version
    from ..errors import UsageError
    from ..rules.load import load_packs, plan
    from ..rules.model import RuleError
    from ..versions import VersionError

    try:
        if from_version or to_version:
            versions = known_versions()
            src = resolve_version(from_version) if from_version else versions[0]
            dst = resolve_version(to_version) if to_version else versions[-1]
            return plan(src, dst)
        return list(load_packs())
    except (VersionError, RuleError) as exc:
        fail(UsageError(str(exc)))


def describe(rule) -> str:
    fields = [("id", rule.id), ("pack", rule.pack), ("op", rule.op), ("keys", ", ".join(rule.key_texts))]
    optional = [("to", rule.raw.get("to")), ("value", rule.raw.get("value")), ("transform", rule.transform),
                ("when", rule.when or None), ("old default", rule.raw.get("old")), ("new default", rule.raw.get("new")),
                ("keep switch", rule.keep_switch), ("candidates", ", ".join(rule.raw.get("candidate", [])) or None),
                ("evidence", rule.raw.get("evidence"))]
    fields += [
        (k, v)
        for k, v in optional
        if v is not None and (k not in ("old default", "new default") or rule.op == "default_change")
    ]
    fields += [("confidence", rule.confidence), ("source", rule.source), ("message", rule.message)]
    return "\n".join(f"{k + ':':<13} {v}" for k, v in fields)
