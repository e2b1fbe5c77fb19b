"""Nothing lost: every leaf key of every input has exactly one report entry (old_key == the input key).

(Rebase mode also reports stock keys the user's file leaves out; those entries are allowed on top.)

Leaf keys come from an independent reading of the input (the standard library's tomllib), not from the
pipeline's own walk, over every reference deployment.toml migrated to several targets in both modes, and
over hypothesis-generated documents.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from k8s_migrate.errors import UsageError
from k8s_migrate.hub import flatten, format_key
from k8s_migrate.migrate.toml import Options, migrate_toml

from helpers import examples
from reference_inputs import all_tomls, toml_ids
from toml_strategies import toml_text, with_line_endings

CASES = all_tomls()
MODES = ("edit", "rebase")
GENERATED = "generated.toml"


def leaf_keys(data: bytes) -> list[str]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    return [format_key(path) for path in flatten(tomllib.loads(text))]


def targets(version: str) -> list[str]:
    """The file's own version and the newer of 4.6.0 and 4.7.0."""
    as_tuple = lambda v: tuple(map(int, v.split(".")))  # noqa: E731
    return sorted({version} | {t for t in ("4.6.0", "4.7.0") if as_tuple(t) > as_tuple(version)})


def assert_conserved(data: bytes, name: str, from_version: str, to_version: str, mode: str) -> None:
    result = migrate(data, name, from_version, to_version, mode)
    counts = Counter(e.old_key for e in result.report.entries if e.old_key is not None)
    keys = leaf_keys(data)
    missing = [k for k in keys if counts[k] == 0]
    twice = [k for k in keys if counts[k] > 1]
    where = f"{name} {from_version}->{to_version} {mode}"
    assert not missing, f"{where}: {len(missing)} keys without a report entry, e.g. {missing[:5]}"
    assert not twice, f"{where}: {len(twice)} keys with several entries, e.g. {twice[:5]}"


def migrate(data: bytes, name: str, from_version: str, to_version: str, mode: str):
    """Migrate; a document whose shape clashes with the new baseline (``[[keystore]]`` where 4.6.0 has
    ``[keystore.tls]``) is refused with a one-line error, which generated documents may hit."""
    try:
        return migrate_toml(data, name, Options(from_version, to_version, mode=mode))
    except UsageError as exc:
        assume(not exc.message.startswith("cannot write ") or name != GENERATED)
        raise


def test_reference_files_are_found(reference_dir: Path):
    versions = {v for _, v in CASES}
    assert len(CASES) >= 25 and {"3.2.0", "4.2.0", "4.6.0"} <= versions
    assert all(p.is_file() for p, _ in CASES)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path,version", CASES, ids=toml_ids(CASES))
def test_every_reference_key_has_one_entry(reference_dir: Path, path: Path, version: str, mode: str):
    data = path.read_bytes()
    assert leaf_keys(data), f"{path} has no keys"
    for target in targets(version):
        assert_conserved(data, str(path), version, target, mode)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=toml_text(), route=st.sampled_from([("4.2.0", "4.6.0"), ("3.2.0", "4.6.0"), ("4.6.0", "4.6.0")]),
       mode=st.sampled_from(MODES), crlf=st.booleans(), bom=st.booleans())
def test_every_generated_key_has_one_entry(text: str, route: tuple[str, str], mode: str, crlf: bool, bom: bool):
    assert_conserved(with_line_endings(text, crlf, bom), GENERATED, *route, mode)
