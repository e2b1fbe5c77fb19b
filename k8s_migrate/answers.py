"""The answers file (``.k8s-migrate.yaml``): the human choices some rules need, recorded so re-runs are
reproducible. Every migrating command reads it (``toml``, ``configmap``, ``values``, ``xml``, ``batch``, ``pr``).

    keep_old_defaults: false        # pin old defaults that changed (as --keep-old-defaults)
    unexposed: extraConfigs         # a value the target chart does not expose: extraConfigs (default) | keep
    rules:
      r400-gateway-environment-default-name: keep   # one of the rule's choice options
    versions:
      nodes/gateway/deployment.toml: 4.2.0   # the API-M version of a file --from detection cannot tell

The engine reads the answers from its Context (``{"rules": {...}}``, from ``Request.answered``) and never
prompts. ``with_answers`` is the one place that asks: it runs the migration, and on a TTY asks for the choices
the run needed but found no answer for, records them, and runs it again.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, TextIO, TypeVar

from .errors import UsageError

if TYPE_CHECKING:  # pathlib is imported only where a Path is made: not on a run without an answers file
    from pathlib import Path

T = TypeVar("T")
ANSWERS_FILE = ".k8s-migrate.yaml"
FIELDS = ("keep_old_defaults", "unexposed", "rules", "versions")
UNEXPOSED = (
    "extraConfigs",
    "keep",
)  # a value the target chart does not expose: into its extraConfigs TOML where it can go, or kept where it is (review)


@dataclass
class Answers:
    """An answers file's choices (rules, --keep-old-defaults, unexposed values, files' versions); ``path`` is
    where an answer given at a prompt is recorded."""

    where: str | os.PathLike[str] | None = None
    keep_old_defaults: bool | None = None
    unexposed: str | None = None
    rules: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)  # file (relative to the answers file) -> API-M version

    @property
    def path(self) -> Path | None:
        from pathlib import Path

        return None if self.where is None else Path(self.where)

    @path.setter
    def path(self, value: str | os.PathLike[str] | None) -> None:
        self.where = value

    def file_key(self, name: str) -> str:
        from pathlib import Path

        here, home = Path(name).resolve(), (self.path or Path("x")).parent.resolve()
        return here.relative_to(home).as_posix() if here.is_relative_to(home) else here.as_posix()

    def version_for(self, name: str) -> str | None:
        return self.versions.get(self.file_key(name))

    def context(self) -> dict[str, Any]:
        """What the engine's Context (and Options.answers) carries."""
        return {"rules": dict(self.rules), "unexposed": self.unexposed}

    def keep_old(self, flag: bool) -> bool:
        return flag or bool(self.keep_old_defaults)


def start_dir(start: str | os.PathLike[str] | None) -> str:
    here = os.path.realpath(start or ".")
    return here if os.path.isdir(here) else os.path.dirname(here)


def _up_from(here: str) -> list[str]:
    """``here`` and the folders above it, nearest first."""
    folders = [here]
    while (parent := os.path.dirname(folders[-1])) != folders[-1]:
        folders.append(parent)
    return folders


def answers_home(start: str | os.PathLike[str] | None) -> str:
    """Where the answers file lives: the git root above ``start`` (or ``start`` itself outside git)."""
    here = start_dir(start)
    for directory in _up_from(here):
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
    return here


def find_answers_file(explicit: str | None, start: str | os.PathLike[str] | None = None) -> str | None:
    """--answers FILE, else .k8s-migrate.yaml in the start directory or the nearest parent up to the git root."""
    if explicit:
        return explicit
    for directory in _up_from(start_dir(start)):
        if os.path.isfile(os.path.join(directory, ANSWERS_FILE)):
            return os.path.join(directory, ANSWERS_FILE)
        if os.path.exists(os.path.join(directory, ".git")):
            return None
    return None


def read_answers(path: Path | None) -> Answers:
    if path is None or not path.exists():
        return Answers(path)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except (OSError, YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the answers file: {' '.join(str(exc).split())}", str(path)) from None
    return answers_from_data(data, path)


def answers_from_data(data: Any, path: Path | None) -> Answers:
    where = str(path) if path else None
    if not isinstance(data, dict):
        raise UsageError("the answers file must be a mapping (keep_old_defaults, unexposed, rules)", where)
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise UsageError(f"unknown field(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(FIELDS)}", where)
    keep = data.get("keep_old_defaults")
    if keep is not None and not isinstance(keep, bool):
        raise UsageError("keep_old_defaults must be true or false", where)
    unexposed = data.get("unexposed")
    if unexposed is not None and unexposed not in UNEXPOSED:
        raise UsageError(f"unexposed must be one of {', '.join(UNEXPOSED)}, not {unexposed!r}", where)
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise UsageError("rules must be a mapping of rule id to choice", where)
    choices = choice_rules()
    for rid, choice in rules.items():
        if rid not in choices:
            raise UsageError(
                f"rules: {rid} is not a rule with a choice (those are: {', '.join(sorted(choices))})", where
            )
        if str(choice) not in choices[rid]["options"]:
            raise UsageError(f"rules.{rid}: {choice!r} is not one of {', '.join(choices[rid]['options'])}", where)
    versions = data.get("versions") or {}
    if not isinstance(versions, dict):
        raise UsageError("versions must be a mapping of file path to API-M version", where)
    from .versions import VersionError, normalise_version

    try:
        versions = {str(k): normalise_version(str(v)) for k, v in versions.items()}
    except VersionError as exc:
        raise UsageError(f"versions: {exc}", where) from None
    return Answers(path, keep, unexposed, {str(k): str(v) for k, v in rules.items()}, versions)


def load_answers(explicit: str | None, start: str | Path | None = None) -> Answers:
    """The answers that apply to a run: --answers FILE or the one found from ``start``; an empty set when
    there is none (its path is where an answer given at a prompt is recorded)."""
    found = find_answers_file(explicit, start)
    if explicit and not os.path.isfile(explicit):
        raise UsageError("no such answers file", explicit)
    if found is None:
        return Answers(os.path.join(answers_home(start), ANSWERS_FILE))
    from pathlib import Path

    return read_answers(Path(found))


@lru_cache(maxsize=1)
def choice_rules() -> dict[str, dict[str, Any]]:
    """Every built-in rule that asks a human to choose: rule id -> its ``choice`` data."""
    from .rules.load import load_packs

    return {rule.id: rule.raw["choice"] for pack in load_packs() for rule in pack.rules if rule.raw.get("choice")}


def needed_choices(rule_ids: list[str | None], answers: Answers) -> list[str]:
    """The choice rules a run applied (entries name them) that the answers do not decide."""
    choices = choice_rules()
    seen = {rid for text in rule_ids if text for rid in text.split(",")}
    return sorted(rid for rid in seen if rid in choices and rid not in answers.rules)


def interactive(stdin: TextIO | None = None, stderr: TextIO | None = None) -> bool:
    try:
        return (stdin or sys.stdin).isatty() and (stderr or sys.stderr).isatty()
    except (AttributeError, ValueError):
        return False


def ask(rid: str, stdin: TextIO, stderr: TextIO) -> str | None:
    """The option typed (Enter takes the default); None at end of input: nobody answered."""
    choice = choice_rules()[rid]
    options = list(choice["options"])
    stderr.write(f"\n{choice.get('question', rid)} [{rid}]\n")
    for name in options:
        mark = " (default)" if name == choice["default"] else ""
        stderr.write(f"  {name}{mark}: {choice['options'][name].get('summary', '')}\n")
    while True:
        stderr.write(f"choose {'/'.join(options)} [{choice['default']}]: ")
        stderr.flush()
        line = stdin.readline()
        if not line:
            stderr.write("\n")
            return None
        picked = line.strip() or choice["default"]
        if picked in options:
            return picked
        stderr.write(f"  not one of {', '.join(options)}\n")


def ask_version(answers: Answers | None, label: str, candidates: tuple[str, ...],
                evidence: tuple[str, ...]) -> str | None:
    """On a TTY, the API-M version of a file that detection cannot tell (one of ``candidates``, or any known
    version), recorded in the answers file; None without a TTY, an answers file or an answer."""
    from .catalog import known_versions
    from .versions import VersionError, normalise_version

    if answers is None or answers.path is None or not interactive():
        return None
    choices = list(candidates) or known_versions()
    sys.stderr.write(f"\nWhich API-M version is {label} for? It fits {', '.join(choices)}"
                     + (f" ({'; '.join(evidence)})" if evidence else "") + ".\n")
    while True:
        sys.stderr.write(f"version [{'/'.join(choices)}]: ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stderr.write("\n")
            return None
        try:
            picked = normalise_version(line.strip())
        except VersionError:
            picked = None
        if picked in known_versions():
            record_version(answers, label, picked)
            return picked
        sys.stderr.write(f"  not one of {', '.join(choices)}\n")


def record_version(answers: Answers, name: str, version: str) -> None:
    """Record the API-M version a user gave for a file, and say where."""
    key = answers.file_key(name)
    answers.versions[key] = version
    if answers.path is None:
        return
    record_answer(answers.path, key, version, section="versions")
    sys.stderr.write(f"k8s-migrate: recorded the version of {key} in {answers.path}\n")


def record_answer(path: Path, rid: str, choice: str, section: str = "rules") -> None:
    """Write one answer into the answers file, keeping the rest of the file (comments too)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        from ruamel.yaml.comments import CommentedMap

        data = CommentedMap()
    if data.get(section) is None:
        data[section] = {}
    data[section][rid] = choice
    import io

    from .output import write_atomic

    buffer = io.StringIO()
    yaml.dump(data, buffer)
    write_atomic(str(path), buffer.getvalue())


def ask_needed(result: Any, answers: Answers, stdin: TextIO | None = None, stderr: TextIO | None = None) -> bool:
    """On a TTY, ask for the choices a run needed and found no answer for, and record them in the answers
    file. True when something was asked (the run should be redone with the answers)."""
    needed = needed_choices(rules_of(result), answers)
    if not needed or not interactive(stdin, stderr) or answers.path is None:
        return False
    stdin, stderr = stdin or sys.stdin, stderr or sys.stderr
    recorded = []
    for rid in needed:
        picked = ask(rid, stdin, stderr)
        if picked is None:
            stderr.write(f"k8s-migrate: no answer (end of input): the documented default applies and the report "
                         f"says how to decide; to record one, add 'rules: {{{rid}: ...}}' to {answers.path}\n")
            break
        answers.rules[rid] = picked
        record_answer(answers.path, rid, picked)
        recorded.append(rid)
    if recorded:
        stderr.write(f"k8s-migrate: recorded your answer{'s' if len(recorded) > 1 else ''} in {answers.path}\n")
    return bool(recorded)


def with_answers(migrate: Callable[[Answers], T], answers: Answers, stdin: TextIO | None = None,
                 stderr: TextIO | None = None, rehearsal: Callable[[Answers], Any] | None = None) -> T:
    """The ask-then-rerun protocol, for every command: run ``migrate`` with the answers; on a TTY, ask for
    the choices it needed and found no answer for, record them, and run it again. A ``migrate`` that writes
    (a batch) gives a ``rehearsal`` that does not: on a TTY it runs first, and ``migrate`` runs once after."""
    if rehearsal is not None:
        if interactive(stdin, stderr):
            ask_needed(rehearsal(answers), answers, stdin, stderr)
        return migrate(answers)
    result = migrate(answers)
    return migrate(answers) if ask_needed(result, answers, stdin, stderr) else result


def rules_of(result: Any) -> list[str | None]:
    """The rule ids a migration result's report names (a pipeline Result or a batch result)."""
    return [e.rule for e in result.report.entries]
