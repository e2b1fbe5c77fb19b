"""Golden values migrations, one per chart deployment rule and per reproduction of issue 15:
tests/golden/values/<case>/{input.yaml, expected.yaml, case.json} (chart, to_chart, entries that must be there,
and entries that must not; ``proved``: the values proof renders both charts and passes)."""

import json
from pathlib import Path

import pytest

from k8s_migrate.charts.deployment_rules import load_rules
from k8s_migrate.migrate.values import ValuesOptions, migrate_values
from k8s_migrate.verify import prove_values

GOLDEN = Path(__file__).parent / "golden" / "values"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


def _matches(entry: dict, want: dict) -> bool:
    return all(entry.get(k) == v if k != "message" else v in (entry.get(k) or "") for k, v in want.items())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_values(case: Path, request) -> None:
    spec = json.loads((case / "case.json").read_text())
    data = (case / "input.yaml").read_bytes()
    options = ValuesOptions(chart=spec["chart"], to_chart=spec["to_chart"], subchart=spec.get("subchart"))
    result = migrate_values(data, "input.yaml", options)
    if spec.get("proved"):  # the renders of both charts agree with the report, on every instance
        request.getfixturevalue("reference_dir")
        proof = prove_values(data, "input.yaml", spec["chart"], spec["to_chart"], result, spec.get("subchart"))
        assert proof is not None and proof.ok and proof.explained, result.report.notes
    assert result.output == (case / "expected.yaml").read_text()
    got = [e.to_dict() for e in result.report.entries]
    for want in spec["entries"]:
        assert any(_matches(e, want) for e in got), f"no entry {want} in {got}"
    for unwanted in spec.get("absent", []):
        assert not any(_matches(e, unwanted) for e in got), f"unexpected entry {unwanted}"


def test_every_chart_rule_has_a_golden_case() -> None:
    covered = {want.get("rule") for case in CASES for want in json.loads((case / "case.json").read_text())["entries"]}
    assert {rule["id"] for rule in load_rules()} - covered == set()
