"""Changed defaults: a file that relies on an old default gets a review naming old -> new and the source;
--keep-old-defaults pins the old value."""

import tomllib

from k8s_migrate.hub import format_key, parse_key
from k8s_migrate.migrate.toml import Options, migrate_toml
from k8s_migrate.rules.load import plan

from helpers import cli

MINIMAL_320 = b'[server]\nhostname = "apim.example.com"\n\n[super_admin]\nusername = "admin"\npassword = "admin"\n'


def changed_defaults(src, dst):
    return [r for pack in plan(src, dst) for r in pack.rules if r.op == "default_change"]


def test_every_changed_default_on_the_way_is_reviewed_with_its_source():
    rules = changed_defaults("3.2.0", "4.6.0")
    assert len(rules) >= 10
    report = migrate_toml(MINIMAL_320, "d.toml", Options("3.2.0", "4.6.0")).report
    first_old, last_new = {}, {}
    for rule in rules:
        for key in rule.keys:
            first_old.setdefault(key, rule.old)
            last_new[key] = rule.new
    for rule in rules:
        for key in rule.keys:
            if first_old[key] == last_new[key]:
                # off in one step, on again in a later one: no change for this migration, no review
                assert not [e for e in report.entries if e.new_key == format_key(key) and e.action == "review"]
                continue
            # a key whose default changes in several steps gets one entry that names every step
            found = [e for e in report.entries if rule.id in (e.rule or "").split(",") and e.new_key == format_key(key)]
            assert len(found) == 1, f"{rule.id}: expected one review for {format_key(key)}, got {len(found)}"
            assert found[0].action == "review" and rule.source in found[0].source.split(" ; ")
            assert repr(rule.old) in found[0].message and repr(rule.new) in found[0].message


def test_the_4_6_keep_switch_is_named():
    report = migrate_toml(MINIMAL_320, "d.toml", Options("3.2.0", "4.6.0")).report
    entry = next(e for e in report.entries if "r460-loadbalanced-failover" in (e.rule or "").split(","))
    assert "preserve_previous_product_behaviour.version" in entry.message


def test_keep_old_defaults_pins_each_old_value():
    result = migrate_toml(MINIMAL_320, "d.toml", Options("3.2.0", "4.6.0", keep_old_defaults=True))
    out = tomllib.loads(result.output)
    pinned = {format_key(k): r.old for r in changed_defaults("3.2.0", "4.6.0") for k in r.keys}
    # two packs may change one key (device code grant: off in 4.0.0, on again in 4.2.0): the older default wins
    for key in pinned:
        value = out
        for seg in parse_key(key):
            value = value[seg]
        assert value is not None, key
    assert out["apim"]["endpoint_config"]["loadbalanced"]["enable_failover"] is False
    assert out["synapse_properties"]["limit_java_class_access_in_scripts.enable"] is False
    assert out["saml"]["signing_alg"] == "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    assert not [e for e in result.report.entries if e.action == "review" and e.rule and "default" in (e.message or "")
                and e.rule in {r.id for r in changed_defaults("3.2.0", "4.6.0")}]


def test_a_key_the_user_sets_gets_no_default_review():
    data = MINIMAL_320 + b'\n[saml]\nsigning_alg = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"\n'
    report = migrate_toml(data, "d.toml", Options("3.2.0", "4.6.0")).report
    assert not [e for e in report.entries if e.rule == "r440-saml-signing-rsa-sha256"]


def test_the_cli_flag(tmp_path):
    path = tmp_path / "deployment.toml"
    path.write_bytes(MINIMAL_320)
    run = cli("toml", str(path), "--from", "3.2", "--to", "4.6", "--keep-old-defaults", "-q")
    assert run.code == 0, run.err
    assert "enable_failover = false" in run.out
