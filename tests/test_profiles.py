"""Profiles: names and aliases, detection, per-profile baselines, and role-implied values."""

from __future__ import annotations

import pytest

from k8s_migrate.catalog import known_versions, load_catalog
from k8s_migrate.errors import UsageError
from k8s_migrate.migrate.toml import Options, migrate_toml, stock_for
from k8s_migrate.profiles import (
    canonical,
    detect,
    implied_by_role,
    known_roles,
    profile_data,
    profile_in_notes,
    profile_of_role,
    stock_name,
)


def test_every_server_role_of_every_version_has_a_profile():
    for version in known_versions():
        for role in known_roles(load_catalog(version)):
            assert profile_of_role(role), f"{version}: role {role} has no profile in profiles.json"


def test_every_profile_has_a_stock_file_in_the_split_versions():
    for version in ("4.5.0", "4.6.0"):
        catalog = load_catalog(version)
        for name in profile_data()["profiles"]:
            assert stock_name(name) in catalog.profiles
            assert stock_for(catalog, name) is catalog.profiles[stock_name(name)]
    assert stock_for(load_catalog("4.6.0"), "key-manager") is load_catalog("4.6.0").profiles["control-plane"]


def test_aliases_and_unknown_names():
    assert canonical("gateway-worker") == "gateway" and canonical("API-Key-Manager") == "key-manager"
    assert canonical("tm") == "traffic-manager"
    with pytest.raises(UsageError, match="unknown profile"):
        canonical("edge")


@pytest.mark.parametrize("toml,version,profile,how", [
    ('[server]\nserver_role = "api-publisher"\n', "3.2.0", "api-publisher", "server.server_role"),
    ('[server]\nserver_role = "api-key-manager"\n', "3.2.0", "key-manager", "server.server_role"),
    ('[server]\nhostname = "x"\n', "4.2.0", "all-in-one", "no server.server_role"),
])
def test_detect_from_role(toml, version, profile, how):
    import tomlkit

    found = detect(tomlkit.parse(toml).unwrap(), load_catalog(version))
    assert found.profile == profile and how in found.how


def test_detect_a_450_gateway_by_its_keys():
    catalog = load_catalog("4.6.0")
    found = detect(catalog.profiles["gateway"], catalog)
    assert found.profile == "gateway" and "closest 4.6.0 stock file" in found.how
    assert detect(catalog.profiles["all-in-one"], catalog).profile == "all-in-one"


def test_publisher_collapses_into_the_control_plane_and_notes_how():
    result = migrate_toml(b'[server]\nserver_role = "api-publisher"\n', "n.toml", Options("3.2", "4.0", mode="edit"))
    assert 'server_role = "control-plane"' in result.output
    assert profile_in_notes(result.report.notes) == "api-publisher"
    assert result.report.for_key("server.server_role")[0].rule == "r400-server-role-control-plane"


def test_a_value_the_role_implies_is_not_a_customisation():
    implied = implied_by_role(load_catalog("4.2.0"), "gateway-worker")
    assert implied[("apim", "throttling", "enable_policy_deploy")] is False
    toml = b'[server]\nserver_role = "gateway-worker"\n\n[apim.throttling]\nenable_policy_deploy = false\n'
    result = migrate_toml(toml, "gw.toml", Options("4.2", "4.6"))
    entry = result.report.for_key("apim.throttling.enable_policy_deploy")[0]
    assert entry.action == "defaulted" and "gateway-worker role (infer.json)" in entry.message
    assert "enable_policy_deploy" not in result.output
    # the same value on an all-in-one node is the user's own choice, and is carried
    aio = migrate_toml(toml.replace(b"gateway-worker", b"default"), "aio.toml", Options("4.2", "4.6"))
    assert "enable_policy_deploy = false" in aio.output


def test_given_profile_wins_and_picks_the_new_baseline():
    result = migrate_toml(b'[server]\nhostname = "gw.example.com"\n', "g.toml", Options("4.2", "4.6", profile="gw"))
    assert "given with --profile" in result.report.notes[0]
    aio = migrate_toml(b'[server]\nhostname = "gw.example.com"\n', "g.toml", Options("4.2", "4.6", profile="aio"))
    assert "profile all-in-one (given" in aio.report.notes[0] and aio.output != result.output
