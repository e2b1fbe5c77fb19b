"""key-mappings.json aliases: old names canonicalised to the names the target reads."""

from k8s_migrate.catalog import load_catalog
from k8s_migrate.hub import parse_key
from k8s_migrate.rules.aliases import alias_rules, canonical_names, old_to_new, templates_read

from helpers import assert_migrates


def test_one_old_key_feeding_two_new_keys_becomes_a_rename_and_a_set():
    before = "[apim.cache]\ntoken_expiry_time = 900\n"
    after = "\n[apim.cache.gateway_token]\nexpiry_time = 900\n\n[apim.cache.km_token]\nexpiry_time = 900\n"
    assert_migrates(before, after, [
        {"action": "renamed", "old_key": "apim.cache.token_expiry_time",
         "new_key": "apim.cache.gateway_token.expiry_time", "rule": "alias:apim.cache.token_expiry_time"},
        {"action": "added", "new_key": "apim.cache.km_token.expiry_time", "new_value": 900},
    ], from_version="4.5.0", to_version="4.6.0")


def test_an_old_key_the_templates_no_longer_read_is_renamed():
    before = "[transport.thrift.receiver]\ntcpPort = 7611\n"
    after = "\n[transport.receiver]\ntcp_port = 7611\n"
    assert_migrates(before, after, [{"action": "renamed", "old_key": "transport.thrift.receiver.tcpPort",
                                     "new_key": "transport.receiver.tcp_port"}],
                    from_version="4.5.0", to_version="4.6.0")


def test_the_new_name_already_set_keeps_the_new_one_and_says_so():
    before = "[apim.cache]\ntoken_expiry_time = 900\n\n[apim.cache.km_token]\nexpiry_time = 300\n"
    from k8s_migrate.migrate.toml import Options, migrate_toml

    result = migrate_toml(before.encode(), "x.toml", Options("4.5.0", "4.6.0", mode="edit"))
    assert "expiry_time = 300" in result.output  # the user's explicit new key wins over the copied old value
    assert "token_expiry_time" not in result.output


def test_an_old_key_that_the_templates_still_read_stays():
    catalog = load_catalog("4.6.0")
    table = old_to_new(catalog)
    kept = [old for old, news in table.items() if len(news) == 1 and templates_read(catalog, old)]
    assert kept, "expected some aliases whose old name the 4.6.0 templates still read"
    assert not canonical_names(catalog, kept)
    assert alias_rules(catalog, {kept[0]: "x"}) == []


def test_partial_catalogs_canonicalise_nothing():
    partial = load_catalog("3.1.0")
    assert partial.partial and partial.aliases
    olds = {old: "x" for old in old_to_new(partial)}
    assert alias_rules(partial, olds) == []


def test_aliases_only_touch_keys_present_in_the_file():
    catalog = load_catalog("4.6.0")
    assert alias_rules(catalog, {parse_key("server.hostname"): "h"}) == []
