import json
import tomllib

import pytest

from k8s_migrate.catalog import UnknownVersionError, known_versions, load_catalog
from k8s_migrate.data import load_json
from k8s_migrate.hub import format_key, parse_key

from helpers import assert_rederives


def test_index_lists_toml_versions_in_order_with_partial_flags():
    index = load_json("catalog/index.json")["versions"]
    assert [e["version"] for e in index] == [
        "3.0.0", "3.1.0", "3.2.0", "4.0.0", "4.1.0", "4.2.0", "4.3.0", "4.4.0", "4.5.0", "4.6.0", "4.7.0",
    ]
    assert {e["version"] for e in index if e["partial"]} == {"3.1.0", "4.7.0"}
    assert known_versions()[0] == "3.0.0"


def test_short_version_form_and_unknown_version():
    assert load_catalog("4.6").version == "4.6.0"
    with pytest.raises(UnknownVersionError):
        load_catalog("2.6.0")


def test_scope_whitelist_renamed_between_300_and_320():
    old, new = load_catalog("3.0.0"), load_catalog("3.2.0")
    assert "apim.oauth_config.white_listed_scopes" in old.defaults
    assert "apim.oauth_config.white_listed_scopes" in old.template_keys
    assert "apim.oauth_config.allowed_scopes" in new.defaults
    assert "apim.oauth_config.allowed_scopes" in new.template_keys
    assert not new.is_known("apim.oauth_config.white_listed_scopes")
    assert new.suggest("apim.oauth_config.white_listed_scopes") == "apim.oauth_config.allowed_scopes"


def test_460_stock_has_default_gateway_environment(reference_dir):
    cat = load_catalog("4.6.0")
    envs = cat.stock["apim"]["gateway"]["environment"]
    assert isinstance(envs, list) and envs[0]["name"] == "Default"
    assert cat.stock_value("apim.gateway.environment[0].name") == "Default"
    assert cat.stock_value("apim.gateway.environment[5].name") is None
    with open(reference_dir / "apim/4.6.0/repository/conf/deployment.toml", "rb") as fh:
        assert cat.stock == json.loads(json.dumps(tomllib.load(fh)))


def test_profiles_only_from_450():
    assert load_catalog("4.4.0").profiles == {}
    cat = load_catalog("4.5.0")
    assert sorted(cat.profiles) == ["all-in-one", "control-plane", "gateway", "traffic-manager"]
    assert cat.stock_value("apim.oauth_config.remove_outbound_auth_header", profile="gateway") is True


def test_470_has_no_distribution_json_and_borrows_460_defaults():
    cat, prev = load_catalog("4.7.0"), load_catalog("4.6.0")
    assert cat.partial and "4.6.0" in cat.partial_note
    assert cat.defaults == {} and cat.template_keys == ()
    assert {k: e["value"] for k, e in cat.interpolated_defaults.items()} == prev.defaults
    assert cat.default("database.apim_db.url") == (True, prev.defaults["database.apim_db.url"], ["4.6.0"])
    assert cat.stock_value("apim.gateway.environment[0].name") == "Default"
    assert cat.is_known("apim.gateway.environment[0].http_endpoint")


def test_310_is_partial_and_interpolates_only_where_neighbours_agree():
    cat, before, after = load_catalog("3.1.0"), load_catalog("3.0.0"), load_catalog("3.2.0")
    assert cat.partial
    assert 200 < len(cat.defaults) < 300
    for key, entry in cat.interpolated_defaults.items():
        assert key not in cat.defaults
        assert entry["from"] == ["3.0.0", "3.2.0"]
        assert before.defaults[key] == entry["value"] == after.defaults[key]
    disagreeing = [
        k for k in before.defaults
        if k in after.defaults and before.defaults[k] != after.defaults[k] and k not in cat.defaults
    ]
    assert disagreeing, "3.0.0 and 3.2.0 should differ on some default"
    for key in disagreeing:
        assert key not in cat.interpolated_defaults
        assert cat.default(key) == (False, None, None)


def test_quoted_segments_in_hub_form(reference_dir):
    raw = json.loads((reference_dir / "apim/4.6.0/repository/resources/conf/default.json").read_text())
    single = "system.parameter.'org.wso2.CipherTransformation'"
    cat = load_catalog("4.6.0")
    hub = 'system.parameter."org.wso2.CipherTransformation"'
    assert format_key(parse_key(single)) == hub
    assert cat.defaults[hub] == raw[single]
    assert not any("'" in key for key in cat.defaults)
    assert 'synapse_properties."synapse.artifacts.file.storage.enabled"' in cat.template_keys
    assert cat.default(hub) == (True, raw[single], None)


def test_malformed_default_key_is_recorded_not_converted():
    cat = load_json("catalog/3.2.0.json")
    assert cat["malformed_default_keys"] == ["server.base_path,"]
    assert "server.base_path," not in cat["defaults"]
    assert "server.base_path" in cat["defaults"]


def test_default_inside_table_valued_default():
    cat = load_catalog("3.0.0")
    assert cat.default("transport.passthru_http.listener.parameters.port") == (True, "8280", None)
    assert cat.default("transport.passthru_http.listener.parameters.nope") == (False, None, None)


def test_is_known_wildcards_and_free_form_tables():
    cat = load_catalog("4.6.0")
    assert "system.parameter.*" in cat.free_form_tables
    assert "user_store.properties.*" in cat.free_form_tables
    assert "custom_keystore.*" not in cat.free_form_tables  # its entries are read field by field
    assert cat.is_known('system.parameter."org.wso2.SomethingNew"')
    assert cat.is_known("user_store.properties.ReadGroups")
    assert cat.is_known("custom_keystore.primary.alias")
    assert not cat.is_known("custom_keystore.primary.aliass")
    assert cat.is_known("apim.gateway.environment[2].name")
    assert cat.is_known("database.apim_db.type")  # read by infer.json (database.$1.type)
    assert cat.is_known("apim.cache.gateway_token.expiry_time")  # a key-mappings.json key
    assert cat.is_known("apim")
    assert not cat.is_known("apim.no_such_key")


def test_suggest_sibling_typo():
    cat = load_catalog("4.6.0")
    assert "broker.transport.amqp.ssl_connection.truststore.password" in cat.defaults
    assert (
        cat.suggest("broker.transport.amqp.ssl_connection.truststore.truststrore_password")
        == "broker.transport.amqp.ssl_connection.truststore.password"
    )
    assert cat.suggest("truststore.pasword") == "truststore.password"
    assert (
        cat.suggest("identity.auth_framework.endpoint.carbon_security_truststrore_password")
        == "identity.auth_framework.endpoint.carbon_security_truststore_password"
    )
    assert cat.suggest("apim.gateway.environment[1].htp_endpoint") == "apim.gateway.environment[1].http_endpoint"
    assert cat.suggest("truststore.password") is None


def test_aliases_and_infer_in_hub_form():
    cat = load_catalog("4.6.0")
    assert all(isinstance(v, list) for v in cat.aliases.values())
    assert cat.aliases["apim.cache.gateway_token.expiry_time"] == ["apim.cache.token_expiry_time"]
    assert cat.infer["server.server_role"]["gateway-worker"]["indexing.enable"] is False
    assert "database.*.type" in cat.infer
    assert load_json("catalog/4.6.0.json")["malformed_aliases"] == [
        {"key": "transport.http.max_message_size_bytes", "old": "passthru_http.''valid.max.message.size.in.bytes'"}
    ]


def test_stock_keys_unknown_to_templates_are_listed():
    data = load_json("catalog/4.5.0.json")
    assert data["stock_unknown_keys"] == ["apim.oauth_config.remove_outbound_auth_header"]
    assert load_json("catalog/4.2.0.json")["stock_unknown_keys"] == []


def test_rederiving_gives_identical_bytes(reference_dir, tmp_path):
    assert_rederives("derive_catalogs", "catalog", reference_dir, tmp_path)