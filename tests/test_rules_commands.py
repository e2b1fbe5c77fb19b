"""`rules list|show` and `keys`."""

from helpers import cli


def test_rules_list_all_and_by_versions():
    everything = cli("rules", "list")
    assert everything.code == 0
    assert "r320-oauth-allowed-scopes" in everything.out and "r460-loadbalanced-failover" in everything.out
    some = cli("rules", "list", "--from", "4.4", "--to", "4.6")
    assert "r460-loadbalanced-failover" in some.out and "r320-oauth-allowed-scopes" not in some.out


def test_rules_show():
    run = cli("rules", "show", "r460-limit-java-class-access")
    assert run.code == 0
    assert "default_change" in run.out and "preserve_previous_product_behaviour.version" in run.out
    assert "https://github.com/wso2/" in run.out


def test_rules_show_unknown_id_is_a_usage_error():
    run = cli("rules", "show", "no-such-rule")
    assert run.code == 2 and "no rule with id" in run.err


def test_keys_lists_the_catalog_with_defaults():
    run = cli("keys", "--version", "4.6", "apim.cache.gateway_token")
    assert run.code == 0
    lines = run.out.splitlines()
    assert "apim.cache.gateway_token.enable = true" in lines
    assert all(line.startswith("apim.cache.gateway_token") for line in lines)


def test_keys_of_an_unknown_version():
    run = cli("keys", "--version", "9.9")
    assert run.code == 2 and "unknown API-M version" in run.err
