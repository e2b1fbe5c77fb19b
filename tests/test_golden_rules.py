"""One golden case per rule: tests/golden/toml/<rule-id>/{input.toml, expected.toml, case.json}."""

from pathlib import Path

import pytest

from k8s_migrate.rules.load import load_packs

from helpers import assert_migrates, load_golden

GOLDEN = Path(__file__).parent / "golden" / "toml"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case):
    spec = load_golden(case)
    assert_migrates(spec["before"], spec["after"], spec["entries"], from_version=spec["from"],
                    to_version=spec["to"], mode=spec.get("mode", "edit"),
                    **({"profile": spec["profile"]} if "profile" in spec else {}),
                    **({"keep_old_defaults": True} if spec.get("keep_old_defaults") else {}))


def test_every_rule_has_a_golden_case():
    rules = {r.id for pack in load_packs() for r in pack.rules}
    covered = {c.name for c in CASES}
    assert rules - covered == set(), "rules without a golden case"
