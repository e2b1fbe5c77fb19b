"""Property: a stock file of a random version, customised at random, migrated to a random later version in
both modes, passes the proof (no unexplained change, no entry that disagrees with the output), keeps every
comment line, and survives `verify OLD NEW` with nothing unexplained.

500 examples with K8S_MIGRATE_LONG=1 (CI sets it); a quick 40 otherwise.
"""

import os
import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from k8s_migrate.catalog import known_versions
from k8s_migrate.errors import ProofError
from k8s_migrate.migrate.toml import Options, migrate_toml
from k8s_migrate.proof import audit_toml
from k8s_migrate.rules.load import plan

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
EXAMPLES = 500 if os.environ.get("K8S_MIGRATE_LONG") else 40

pytestmark = pytest.mark.skipif(not REFERENCE.is_dir() and not os.environ.get("CI"),
                                reason="needs ../shared/reference")


def versions_with_stock():
    return [v for v in known_versions() if (REFERENCE / "apim" / v / "repository/conf/deployment.toml").is_file()]


def stock_text(version):
    return (REFERENCE / "apim" / version / "repository/conf/deployment.toml").read_text()


KEY_LINE = re.compile(r'^(\s*)([A-Za-z0-9_."\-]+)\s*=\s*(.+?)\s*$')
HEADER = re.compile(r"^\s*\[")


def edit_scalar(lines, index, salt):
    """Change the value on a `key = value` line to another value of the same type."""
    m = KEY_LINE.match(lines[index])
    if not m or "#" in m.group(3):
        return
    value = m.group(3)
    if value in ("true", "false"):
        new = "false" if value == "true" else "true"
    elif re.fullmatch(r"-?\d+", value):
        new = str(int(value) + 1 + salt % 7)
    elif value.startswith('"') and value.endswith('"') and '"' not in value[1:-1]:
        new = f'"custom-{salt}"'
    else:
        return
    lines[index] = f"{m.group(1)}{m.group(2)} = {new}"


def remove_table(lines, index):
    """Drop the table whose header is at or above ``index`` (header and body up to the next header)."""
    start = next((i for i in range(index, -1, -1) if HEADER.match(lines[i])), None)
    if start is None:
        return lines
    end = next((i for i in range(start + 1, len(lines)) if HEADER.match(lines[i])), len(lines))
    return lines[:start] + lines[end:]


def moved_keys(old, new):
    """Keys that a rename or move rule on the path reads (no wildcards): a customisation there must follow it."""
    found = []
    for pack in plan(old, new):
        for rule in pack.rules:
            if rule.op in ("rename", "move") and not rule.when:
                for key in rule.keys:
                    if all(isinstance(s, str) and s != "*" for s in key) and len(key) >= 2:
                        found.append(key)
    return found


@st.composite
def customised_stock(draw):
    versions = versions_with_stock()
    old = draw(st.sampled_from(versions[:-1]))
    new = draw(st.sampled_from([v for v in known_versions() if v > old]))
    lines = stock_text(old).splitlines()
    for salt in range(draw(st.integers(0, 4))):
        edit_scalar(lines, draw(st.integers(0, len(lines) - 1)), salt)
    for _ in range(draw(st.integers(0, 2))):
        lines = remove_table(lines, draw(st.integers(0, len(lines) - 1)))
    extra = []
    for n in range(draw(st.integers(0, 2))):
        extra += ["", "[[apim.gateway.environment]]", f'name = "extra-{n}"', 'type = "hybrid"',
                  f'http_endpoint = "http://gw-{n}.example.com:8280"']
    if draw(st.booleans()):
        extra += ["", "[[event_listener]]", 'id = "custom_listener"', 'type = "org.example.Type"',
                  'name = "org.example.Listener"', "order = 7"]
    candidates = moved_keys(old, new)
    if candidates and draw(st.booleans()):
        key = draw(st.sampled_from(candidates))
        extra += ["", "[" + ".".join(key[:-1]) + "]", f'{key[-1]} = "moved-{len(key)}"']
    if draw(st.booleans()):
        extra += ["", "[monitoring.jmx]", "rmi_server_start = false", "",
                  "[[apim.gateway.environment.virtual_host]]", 'https_endpoint = "https://vh.example.com"']
    lines += extra
    for n in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, f"# note {n}")
    for n in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        if KEY_LINE.match(lines[at]) and "#" not in lines[at] and not lines[at].rstrip().endswith(("[", "{", '"""')):
            lines[at] += f"  # beside {n}"
    text = "\n".join(lines) + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assume(False)
    return old, new, text


def comments(text):
    return sorted(line.strip() for line in text.splitlines() if line.strip().startswith("#"))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(case=customised_stock(), mode=st.sampled_from(["rebase", "edit"]))
def test_random_customisations_pass_the_proof(case, mode):
    old, new, text = case
    try:
        result = migrate_toml(text.encode(), "deployment.toml", Options(old, new, mode=mode))
    except ProofError as exc:
        pytest.fail(f"{old} -> {new} {mode}: {exc}\n{text}")
    assert set(comments(text)) <= set(comments(result.output)), "a comment line was lost"
    audit = audit_toml(text, result.output, "old", "new", old, new)
    unexplained = [e for e in audit.report.entries if "UNEXPLAINED" in e.message]
    assert not unexplained, f"{old} -> {new} {mode}: {[(e.old_key, e.new_key, e.message) for e in unexplained]}"
