"""Validation against the target catalog: every output key the target does not know is flagged."""

import tomllib

import pytest

from k8s_migrate.catalog import load_catalog
from k8s_migrate.hub import flatten, format_key
from k8s_migrate.migrate.toml import Options, migrate_toml

REAL_WORLD = ["deevally-320-aio", "ibay-400-gw", "keys4words-410-minimal", "csdg-420-cp", "csdg-420-tm",
              "aobregonmx-430-aio", "rgl-450-aio"]
VERSION = {"320": "3.2.0", "400": "4.0.0", "410": "4.1.0", "420": "4.2.0", "430": "4.3.0", "450": "4.5.0"}
FLAGS = ("unknown", "review")


def unflagged(name: str, data: bytes, src: str, dst: str, mode: str) -> list[str]:
    result = migrate_toml(data, name, Options(src, dst, mode=mode))
    catalog = load_catalog(dst)
    flagged = {e.new_key for e in result.report.entries if e.action in FLAGS and e.new_key}
    flagged |= {e.old_key for e in result.report.entries if e.action in FLAGS and e.old_key}
    out = flatten(tomllib.loads(result.output))
    return sorted(format_key(p) for p in out if not catalog.known.is_known(p) and format_key(p) not in flagged)


@pytest.mark.parametrize("mode", ["rebase", "edit"])
@pytest.mark.parametrize("target", ["4.6.0", "4.7.0"])
@pytest.mark.parametrize("case", REAL_WORLD)
def test_no_unknown_output_key_goes_unflagged(reference_dir, case, target, mode):
    path = reference_dir / "real-world" / case / "deployment.toml"
    src = VERSION[case.split("-")[1]]
    assert unflagged(path.name, path.read_bytes(), src, target, mode) == []


def test_a_misspelt_key_is_flagged_with_a_suggestion_in_both_modes():
    before = b'[apim.key_manager]\nservice_url = "https://km:9443/services/"\nusername = "admin"\npasswrod = "x"\n'
    for mode in ("rebase", "edit"):
        result = migrate_toml(before, "t.toml", Options("4.5.0", "4.6.0", mode=mode))
        entry = next(e for e in result.report.entries if e.old_key == "apim.key_manager.passwrod")
        assert entry.action == "unknown", mode
        assert "apim.key_manager.password" in entry.message, mode


@pytest.mark.parametrize("mode", ["rebase", "edit"])
def test_free_form_tables_are_not_flagged(mode):
    before = b"""
[system.parameter]
"org.example.CustomFlag" = "on"

[transport.https.properties]
someTomcatAttribute = "42"

[database.apim_db.pool_options]
maxActive = 150

[user_store.properties]
MyVendorProperty = "x"
"""
    result = migrate_toml(before, "t.toml", Options("4.5.0", "4.6.0", mode=mode))
    assert not [e for e in result.report.entries if e.action == "unknown"], result.report.entries
