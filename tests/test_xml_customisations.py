"""2.x XML -> hub keys through the inverted 3.0.0 template map."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from k8s_migrate.xml import XmlInputError, xml_customisations

from xml_expected import EXPECTED_KEYS, customised_conf, stock_conf


@pytest.fixture(scope="module")
def custom_conf(tmp_path_factory, reference_dir: Path) -> Path:
    return customised_conf(tmp_path_factory.mktemp("custom-2.6.0"), reference_dir)


@pytest.fixture(scope="module")
def custom_result(custom_conf: Path):
    return xml_customisations(custom_conf, "2.6.0")


@pytest.mark.parametrize("version", ["2.1.0", "2.5.0", "2.6.0"])
def test_stock_xml_set_has_no_customisations(reference_dir: Path, version: str):
    result = xml_customisations(stock_conf(reference_dir, version), version)
    assert len(result.files) == 7
    assert result.customisations == []
    assert result.keys == []



# The customised first environment is carried whole: its unchanged fields come along as context.
EXPECTED_CONTEXT = {
    "apim.gateway.environment[0].name": "Production and Sandbox",
    "apim.gateway.environment[0].type": "hybrid",
    "apim.gateway.environment[0].display_in_api_console": True,
    "apim.gateway.environment[0].description":
        "This is a hybrid gateway that handles both production and sandbox token traffic.",
    "apim.gateway.environment[0].username": "${admin.username}",
    "apim.gateway.environment[0].password": "${admin.password}",
    "apim.gateway.environment[0].ws_endpoint": "ws://${carbon.local.ip}:9099",
}


def test_custom_fixture_gives_expected_hub_keys(custom_result):
    customised = {k.key: k.value for k in custom_result.keys if not k.item_context}
    context = {k.key: k.value for k in custom_result.keys if k.item_context}
    assert customised == EXPECTED_KEYS
    assert context == EXPECTED_CONTEXT


def test_custom_fixture_every_customisation_maps_or_is_reported(custom_result):
    produced = {k.key for k in custom_result.keys}
    for cust in custom_result.customisations:
        assert cust.mapped or cust.message, cust
        assert set(cust.keys) <= produced
        assert cust.rule or cust.message
    unmapped = {(c.file, c.xpath): c.message for c in custom_result.unmapped}
    assert set(unmapped) == {("api-manager.xml", "APIManager/APIKeyValidator/EnableThriftServer")}
    assert "no such element" in unmapped[("api-manager.xml", "APIManager/APIKeyValidator/EnableThriftServer")]


def test_custom_fixture_report_facts(custom_result):
    by_xpath = {c.xpath: c for c in custom_result.customisations}
    offset = by_xpath["Server/Ports/Offset"]
    assert (offset.file, offset.action, offset.stock_value, offset.user_value, offset.keys) == (
        "carbon.xml", "changed", "0", "1", ["server.offset"])
    assert offset.line is not None and offset.rule.startswith("template:")
    hub = next(k for k in custom_result.keys if k.key == "server.offset")
    assert hub.origin == f"carbon.xml:{offset.line} Server/Ports/Offset"
    endpoint = by_xpath["APIManager/APIGateway/Environments/Environment[Name='Production and Sandbox']/GatewayEndpoint"]
    assert endpoint.rule == "xml-gateway-endpoint-split"
    assert by_xpath["wso2registry/dbConfig[@name='wso2registry']/dataSource"].rule == "xml-registry-db-to-shared-db"


def test_commented_out_value_is_not_carried(custom_result):
    assert not any("MgtHostName" in c.xpath for c in custom_result.customisations)
    assert not any("maxActive" in c.xpath and "WSO2UM_DB" in c.xpath for c in custom_result.customisations)


def test_user_db_shared_with_registry_needs_no_database_user(custom_conf: Path, tmp_path: Path):
    conf = tmp_path / "conf"
    shutil.copytree(custom_conf, conf)
    user_mgt = conf / "user-mgt.xml"
    user_mgt.write_text(user_mgt.read_text().replace("jdbc/WSO2UM_DB", "jdbc/WSO2REG_DB"))
    keys = {k.key for k in xml_customisations(conf, "2.6").keys}
    assert "database.shared_db.url" in keys
    assert not any(k.startswith("database.user.") for k in keys)
    assert "realm_manager.data_source" not in keys


def test_single_file_input(custom_conf: Path):
    result = xml_customisations(custom_conf / "carbon.xml", "2.6.0")
    assert {k.key: k.value for k in result.keys} == {"server.hostname": "apim.example.com", "server.offset": 1}


def test_bad_input(tmp_path: Path):
    with pytest.raises(XmlInputError):
        xml_customisations(tmp_path, "2.6.0")
    with pytest.raises(XmlInputError):
        xml_customisations(tmp_path, "1.10.0")


REAL_WORLD = [
    ("janithcmw-250-storepub/api-manager.xml", "2.5.0"),
    ("gumab-210-mssql/master-datasources.xml", "2.1.0"),
]


@pytest.mark.parametrize("relative,version", REAL_WORLD)
def test_real_world_xml_every_difference_accounted_for(reference_dir: Path, relative: str, version: str):
    result = xml_customisations(reference_dir / "real-world-xml" / relative, version)
    assert result.customisations
    for cust in result.customisations:
        assert cust.keys or cust.message or cust.rule, cust
    assert {c.xpath for c in result.unmapped} == {c.xpath for c in result.customisations if c.message}


def test_real_world_api_manager_keys(reference_dir: Path):
    result = xml_customisations(reference_dir / "real-world-xml" / REAL_WORLD[0][0], "2.5.0")
    keys = {k.key: k.value for k in result.keys}
    assert keys["apim.gateway.environment[0].http_endpoint"] == "http://wso2apim-gw"
    assert keys["apim.gateway.environment[0].https_endpoint"] == "https://wso2apim-gw"
    assert keys["apim.throttling.url_group[1].traffic_manager_urls"] == [
        "tcp://wso2apim-tm-stateful-1.wso2am-tm-headless-service:9611"]
    assert keys["apim.throttling.enable_data_publishing"] is False
    assert "AuthManager" in next(c.message for c in result.unmapped if "AuthManager" in c.xpath)


def test_real_world_mssql_datasources(reference_dir: Path):
    result = xml_customisations(reference_dir / "real-world-xml" / REAL_WORLD[1][0], "2.1.0")
    keys = {k.key: k.value for k in result.keys}
    assert keys["database.apim_db.type"] == "mssql"
    assert keys["database.shared_db.driver"] == "com.microsoft.sqlserver.jdbc.SQLServerDriver"
    mb_store = [c for c in result.customisations if "WSO2_MB_STORE_DB" in c.xpath and c.action == "changed"]
    assert mb_store and all("fixed text" in c.message for c in mb_store)
