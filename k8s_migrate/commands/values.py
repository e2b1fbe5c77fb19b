"""`k8s-migrate values`: a Helm values file for WSO2's charts, edited in place."""

from __future__ import annotations

from typing import List, Optional

from ..errors import ProofError, UsageError
from ..inputs import label as input_name
from ..report import exit_code
from .common import (
    ANSWERS,
    BACKUP,
    CHECK,
    DIFF,
    FOLLOW,
    IN_PLACE,
    KEEP_OLD,
    OUTPUT,
    QUIET,
    REPORT,
    SHOW_SECRETS,
    STRICT,
    VERBOSE,
    Delivery,
    deliver,
    fail,
    fail_inconsistent,
    finish,
)
from .params import Argument, Option


def register(app) -> None:
    app.command("values")(values_command)


def values_command(
    file: str = Argument(..., help="The values file to migrate, or - for stdin (helm get values REL -o yaml | ...)."),
    chart: Optional[str] = Option(
        None,
        "--chart",
        help=(
            "The chart the values are for: a built-in id such as helm-apim/all-in-one@4.2.x, or a chart directory. "
            "Left out: detected from the file's values paths and image tags, with the evidence in the report."
        ),
    ),
    to_chart: List[str] = Option(
        ...,
        "--to-chart",
        help=(
            "The chart to migrate to, e.g. helm-apim/all-in-one@4.6.x, or a chart directory. Give it once per chart "
            "to split a values file of one chart that runs several components (kubernetes-apim/am-pattern-3@4.2.x) "
            "into one file per distributed chart "
            "(helm-apim/control-plane@4.6.x, gateway, traffic-manager, key-manager), "
            "written as <chart>.yaml into the directory -o DIR."
        ),
    ),
    from_version: Optional[str] = Option(None, "--from", help="API-M version of --chart (default: its appVersion)."),
    to_version: Optional[str] = Option(None, "--to", help="API-M version of --to-chart (default: its appVersion)."),
    keep_old_defaults: bool = KEEP_OLD, answers_file: Optional[str] = ANSWERS, output: Optional[str] = OUTPUT,
    in_place: bool = IN_PLACE, backup: bool = BACKUP, report: Optional[str] = REPORT, diff: bool = DIFF,
    check: bool = CHECK, strict: bool = STRICT, show_secrets: bool = SHOW_SECRETS, quiet: bool = QUIET,
    verbose: bool = VERBOSE, follow_symlinks: bool = FOLLOW,
    verify: bool = Option(
        False,
        "--verify",
        help=(
            "Also render both charts (without helm) and check the migrated values give the configuration the TOML "
            "migration gives; exit 1 if not. Needs the charts' templates (see k8s-migrate verify)."
        ),
    ),
    given: List[str] = Option(
        [],
        "--set",
        help="With --verify: KEY=VALUE for the new chart, for a manual step the report asks for. Repeatable.",
    ),
    subchart: Optional[str] = Option(
        None,
        "--subchart",
        help=(
            "The alias under which an umbrella chart's values file holds --chart's values (default: detected when one "
            "top-level key does)."
        ),
    ),
) -> None:
    """Migrate a Helm values file from one WSO2 chart (version) to another, through the API-M rules.

    With several --to-chart and -o DIR: split one chart's values into one new file per target chart, e.g.
    --chart kubernetes-apim/am-pattern-3@4.2.x --to-chart helm-apim/control-plane@4.6.x
    --to-chart helm-apim/gateway@4.6.x --to-chart helm-apim/traffic-manager@4.6.x -o DIR.
    """
    try:
        from ..output import read_input
        from .detection import check_kind, resolve_chart

        data = read_input(file)
        check_kind(data, file, "values")
        chart, chart_notes = resolve_chart(data, file, chart)
    except UsageError as exc:
        fail(exc)
    delivery = Delivery(
        file, output, in_place, backup, report, diff, check, strict, show_secrets, quiet, follow_symlinks,
        verbose=verbose,
    )
    if len(to_chart) > 1:
        from .values_split import SplitChecks, split_command

        split_command(file, chart, to_chart, from_version, to_version, keep_old_defaults, delivery, data,
                      SplitChecks(answers_file, verify, given, subchart))
        return
    try:
        from ..answers import load_answers, with_answers
        from ..migrate.values import ValuesOptions, migrate_values
        from ..verify import prove_values

        answers = load_answers(answers_file, None if file == "-" else file)
        options = ValuesOptions(from_version, to_version, keep_old_defaults=keep_old_defaults, chart=chart,
                                to_chart=to_chart[0], subchart=subchart)
        result = with_answers(lambda a: migrate_values(data, input_name(file), options.answered(a)), answers)
        result.report.notes[:0] = chart_notes
        prove_values(data, file, chart, to_chart[0], result, subchart)
        verification = (check_render(data, file, chart, to_chart[0], given, show_secrets, subchart, result)
                        if verify else None)
    except UsageError as exc:
        fail(exc)
    except ProofError as exc:
        from ..migrate.split import component_mismatch

        mismatch = component_mismatch(chart, to_chart[0])
        if mismatch:  # the user's choice of chart, not the tool's inconsistency
            fail(UsageError(mismatch, file))
        fail_inconsistent(exc, delivery)
    deliver(result, delivery)
    finish(exit_code(findings=verification is not None and not verification.ok))


def check_render(data: bytes, file: str, chart: str, to_chart: str, given: List[str], show_secrets: bool = False,
                 subchart: Optional[str] = None, result=None):
    """values --verify: the same check as `k8s-migrate verify` of the migration ``result`` (the one written; run
    anew when None), its findings on stderr."""
    import sys

    from ..verify import verification_text, verify
    from .render import set_pair

    verification = verify(data, file, chart, to_chart, given=dict(set_pair(item) for item in given), subchart=subchart,
                          values_result=result)
    sys.stderr.write(verification_text(verification, show_secrets))
    return verification
