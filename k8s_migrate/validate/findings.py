"""What `validate` finds: findings with a kind, a severity and a line, per file; the result owns the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

SEVERITIES = ("error", "warning", "note")
FAIL_LEVELS = ("error", "warning")
KINDS = {
    "unknown": "a key the version does not read",
    "alias": "a key the version reads under another name",
    "removed": "a key an earlier version read and this one dropped or renamed",
    "deprecated": "a key this version reads and a later one drops",
    "type": "a value of the wrong type",
    "value": "a value outside the set WSO2's files give",
    "duplicate": "a key written twice in one mapping (helm keeps the last)",
    "placeholder": "a malformed $env{}, $sys{}, $secret{}, $ref{} or ${} placeholder",
    "required": "a value WSO2's validator.json requires",
    "schema": "a values entry the chart's values.schema.json rejects",
    "values-path": "a values path the chart does not have",
    "syntax": "a file that does not parse",
}


@dataclass
class Finding:
    kind: str
    severity: str
    key: str | None
    message: str
    line: int | None = None
    value: Any = None
    suggestion: str | None = None
    source: str | None = None
    origin: str | None = None  # where in the input's own terms: a values path, a ConfigMap

    def masked(self, show_secrets: bool = False) -> "Finding":
        """Secrets (by key or values path name) leave the value and the message masked."""
        from ..report.masking import is_secret_key, mask_message, mask_value

        if show_secrets:
            return self
        name = self.key if is_secret_key(self.key) else (self.origin or self.key)
        return replace(self, value=mask_value(name, self.value),
                       message=mask_message(self.message, [(name, self.value)]))

    def to_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, "severity": self.severity, "key": self.key, "line": self.line,
                "message": self.message}
        for extra in ("value", "suggestion", "source", "origin"):
            if getattr(self, extra) is not None:
                data[extra] = getattr(self, extra)
        return data


@dataclass
class FileReport:
    """The findings of one file, sorted by line."""

    file: str
    version: str
    kind: str  # toml | configmap | values
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.line or 0, SEVERITIES.index(f.severity), f.key or ""))

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def fails(self, fail_on: str) -> bool:
        worst = SEVERITIES.index(fail_on)
        return any(SEVERITIES.index(f.severity) <= worst for f in self.findings)

    def masked(self, show_secrets: bool = False) -> "FileReport":
        return replace(self, findings=[f.masked(show_secrets) for f in self.findings])

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "version": self.version, "kind": self.kind,
                "summary": {s: self.count(s) for s in SEVERITIES}, "notes": list(self.notes),
                "findings": [f.to_dict() for f in self.findings]}


def exit_code(reports: list[FileReport], fail_on: str) -> int:
    """1 when any file has a finding at or above ``fail_on``, else 0."""
    from ..report import exit_code as findings_exit_code

    return findings_exit_code(findings=any(r.fails(fail_on) for r in reports))
