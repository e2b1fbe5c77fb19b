"""What the ~20-customisation 2.6.0 XML fixture (tests/fixtures/xml/custom-2.6.0) must give as TOML keys."""

import json
import shutil
from pathlib import Path

EXPECTED_KEYS = {
    "apim.jwt.enable": True,
    "apim.jwt.header": "X-Custom-JWT",
    "apim.gateway.environment[0].service_url": "https://gw1.example.com:9443/services/",
    "apim.gateway.environment[0].http_endpoint": "http://gw1.example.com:8280",
    "apim.gateway.environment[0].https_endpoint": "https://gw1.example.com:8243",
    "apim.gateway.environment[1].name": "Sandbox",
    "apim.gateway.environment[1].type": "sandbox",
    "apim.gateway.environment[1].display_in_api_console": False,
    "apim.gateway.environment[1].description": "Sandbox gateway",
    "apim.gateway.environment[1].service_url": "https://gw2.example.com:9443/services/",
    "apim.gateway.environment[1].username": "admin",
    "apim.gateway.environment[1].password": "admin",
    "apim.gateway.environment[1].https_endpoint": "https://gw2.example.com:8243",
    "apim.gateway.environment[1].ws_endpoint": "ws://gw2.example.com:9099",
    "apim.gateway.environment[1].wss_endpoint": "wss://gw2.example.com:8099",
    "apim.key_manager.service_url": "https://km.example.com:9443/services/",
    "apim.oauth_config.enable_outbound_auth_header": True,
    "apim.devportal.url": "https://portal.example.com/store",
    "apim.cors.allow_origins": ["https://app.example.com", "https://admin.example.com"],
    "apim.cors.allow_credentials": True,
    "apim.throttling.url_group[0].traffic_manager_urls": ["tcp://tm1.example.com:9611"],
    "apim.throttling.url_group[0].traffic_manager_auth_urls": ["ssl://tm1.example.com:9711"],
    "apim.throttling.url_group[0].type": "loadbalance",
    "apim.throttling.url_group[1].traffic_manager_urls": ["tcp://tm2.example.com:9611"],
    "apim.throttling.url_group[1].traffic_manager_auth_urls": ["ssl://tm2.example.com:9711"],
    "apim.throttling.url_group[1].type": "loadbalance",
    "apim.throttling.service_url": "https://tm.example.com:9443/services/",
    "database.apim_db.type": "mysql",
    "database.apim_db.url": "jdbc:mysql://db.example.com:3306/apimgtdb?useSSL=false",
    "database.apim_db.username": "apimadmin",
    "database.apim_db.password": "apimpass",
    "database.apim_db.driver": "com.mysql.jdbc.Driver",
    "database.apim_db.pool_options.maxActive": 80,
    "database.shared_db.type": "mysql",
    "database.shared_db.url": "jdbc:mysql://db.example.com:3306/regdb?useSSL=false",
    "database.shared_db.username": "regadmin",
    "database.shared_db.password": "regpass",
    "database.shared_db.driver": "com.mysql.jdbc.Driver",
    "database.user.type": "mysql",
    "database.user.url": "jdbc:mysql://db.example.com:3306/userdb?useSSL=false",
    "database.user.username": "umadmin",
    "database.user.password": "umpass",
    "database.user.driver": "com.mysql.jdbc.Driver",
    "realm_manager.data_source": "WSO2USER_DB",
    "server.hostname": "apim.example.com",
    "server.offset": 1,
}


FIXTURES = Path(__file__).parent / "fixtures" / "xml"


def stock_conf(reference_dir: Path, version: str) -> Path:
    return reference_dir / "apim" / version / "repository" / "conf"


def customised_conf(workdir: Path, reference_dir: Path) -> Path:
    """The stock 2.6.0 conf with the operator's edits of custom-2.6.0/edits.json applied."""
    conf = workdir / "conf"
    shutil.copytree(stock_conf(reference_dir, "2.6.0"), conf)
    for edit in json.loads((FIXTURES / "custom-2.6.0" / "edits.json").read_text())["edits"]:
        path = conf / edit["file"]
        text = path.read_text(encoding="utf-8")
        assert text.count(edit["find"]) == 1, edit["find"]
        path.write_text(text.replace(edit["find"], edit["replace"]), encoding="utf-8")
    return conf
