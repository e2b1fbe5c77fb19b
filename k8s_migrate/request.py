"""What a migration is asked to do: the choices every migrating command, batch job and migration shares.

Each kind of migration takes a Request, or a subclass that adds only its own fields (``migrate.toml.Options``:
the stock file to build on; ``migrate.values.ValuesOptions``: the subchart; ``migrate.split.SplitOptions``:
the target charts). The rule engine's ``Context`` is built from one in ``rule_context``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import UsageError

if TYPE_CHECKING:
    from .answers import Answers
    from .rules.apply import Context

R = TypeVar("R", bound="Request")
K = TypeVar("K", bound="Request")


@dataclass
class Request:
    """What a run was asked for, whatever the input: versions, mode, profile, charts, and the answers file's
    choices."""

    from_version: str | None = None  # left out: detected (a deployment.toml) or the chart's appVersion (values)
    to_version: str | None = None
    mode: str | None = None  # rebase | edit; None: the kind's own (rebase for a deployment.toml, edit in a ConfigMap)
    profile: str | None = None
    keep_old_defaults: bool = False
    answers: dict[str, Any] = field(default_factory=dict)  # the answers file's choices (answers.Answers.context)
    chart: str | None = None  # a values file's chart, and the chart to migrate it to
    to_chart: str | None = None

    def answered(self: R, answers: Answers) -> R:
        """This request with the answers file's choices (its keep_old_defaults adds to the flag)."""
        return replace(self, keep_old_defaults=answers.keep_old(self.keep_old_defaults), answers=answers.context())

    def as_kind(self, kind: type[K], **extra: Any) -> K:
        """This request as one kind of migration takes it, with that kind's own fields."""
        return kind(**{f.name: getattr(self, f.name) for f in fields(Request)}, **extra)

    def rule_context(self, profile: str | None = None) -> Context:
        """The rule engine's view of the request (``profile``: the one detected, when the request names none)."""
        from .rules.apply import Context

        return Context(profile=profile or self.profile, keep_old_defaults=self.keep_old_defaults, answers=self.answers)

    def given_versions(self) -> tuple[str, str]:
        """--from and --to, both given (as the command line, a manifest or detection gave them)."""
        if self.from_version is None or self.to_version is None:
            raise UsageError("give --from and --to")
        return self.from_version, self.to_version

    def catalog_versions(self) -> tuple[str, str]:
        """--from and --to as the catalogs name them."""
        src, dst = self.given_versions()
        return known_version(src), known_version(dst)


def known_version(text: str) -> str:
    """An API-M version as the catalogs name it (``4.6`` -> ``4.6.0``), or a one-line usage error: the one
    place a version given on the command line, in a manifest or by a chart's appVersion is normalised."""
    from .catalog import resolve_version
    from .versions import VersionError

    try:
        return resolve_version(text)
    except VersionError as exc:
        raise UsageError(str(exc)) from None
