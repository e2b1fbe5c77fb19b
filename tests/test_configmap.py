"""`k8s-migrate configmap`: the embedded deployment.toml migrates; every other byte of the manifest stays."""

from __future__ import annotations

import json

import pytest

from k8s_migrate.errors import UsageError
from k8s_migrate.formats.configmap import read_manifest
from k8s_migrate.migrate.configmap import migrate_manifest
from k8s_migrate.migrate.toml import Options

from helpers import cli

MANIFEST = """\
# the control plane's config
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: apim-conf
      namespace : apim
    data:
      log4j2.properties: "rootLogger.level = INFO"
      deployment.toml: |
        [server]
        hostname = "apim.example.com"
          \n        [integration.transaction_counter]
        enable = true
        server_id = "apim-node-1"
  - apiVersion: v1
    kind: Service
    metadata: {name: apim}
---
apiVersion: apps/v1
kind: Deployment
metadata:
    name:   apim     # odd spacing, kept
"""


def test_real_configmap_to_its_own_version_is_byte_identical(reference_dir, tmp_path):
    src = reference_dir / "real-world/cbabey-400-aio-configmap/wso2am-single-node-am-conf.yaml"
    run = cli("configmap", src, "--from", "4.0.0", "--to", "4.0.0", "-q")
    assert run.code == 0, run.err
    assert run.out.encode() == src.read_bytes()


def test_real_configmap_migrates_to_460_keeping_the_rest(reference_dir, tmp_path):
    src = reference_dir / "real-world/cbabey-400-aio-configmap/wso2am-single-node-am-conf.yaml"
    report = tmp_path / "r.json"
    run = cli("configmap", src, "--from", "4.0", "--to", "4.6", "--keep-old-defaults", "--report", report, "-q")
    assert run.code == 0, run.err
    before, after = src.read_text().splitlines(), run.out.splitlines()
    assert "  namespace : apim" in after and "  deployment.toml: |-" in after
    # only additions: every input line is still there, in order
    it = iter(after)
    assert all(any(line == other for other in it) for line in before)
    assert "    init_delay = 0" in after and "    enable_failover = false" in after
    data = json.loads(report.read_text())
    assert {e["origin"].split(": stock:")[0] for e in data["entries"]} == {
        'ConfigMap/wso2am-single-node-am-conf data."deployment.toml"'
    }
    hostname = next(e for e in data["entries"] if e["old_key"] == "server.hostname")
    assert before[hostname["line"] - 1].strip() == 'hostname = "am.wso2.com"'
    assert any("profile all-in-one" in n for n in data["notes"])


def test_list_item_edited_in_place_other_documents_untouched():
    result = migrate_manifest(MANIFEST.encode(), "m.yaml", Options("4.3.0", "4.4.0", mode="edit"))
    expected = MANIFEST.replace("        [integration.transaction_counter]", "\n        [apim.transaction_counter]")
    assert result.output == expected
    moved = [e for e in result.report.entries if e.action == "moved"]
    assert {e.new_key for e in moved} == {"apim.transaction_counter.enable", "apim.transaction_counter.server_id"}
    assert moved[0].origin == 'List.items[0] ConfigMap/apim-conf data."deployment.toml"'


def test_block_scalar_strip_style_and_crlf_kept():
    text = MANIFEST.replace("deployment.toml: |", "deployment.toml: |-").rstrip("\n")
    crlf = text.replace("\n", "\r\n").encode()
    result = migrate_manifest(crlf, "m.yaml", Options("4.3.0", "4.4.0", mode="edit"))
    assert result.output.encode() == crlf.replace(
        b"        [integration.transaction_counter]", b"\r\n        [apim.transaction_counter]"
    )


def test_stdin_and_stdout():
    run = cli("configmap", "-", "--from", "4.3", "--to", "4.4", "-q", stdin=MANIFEST.encode())
    assert run.code == 0, run.err
    assert "[apim.transaction_counter]" in run.out and "name:   apim     # odd spacing, kept" in run.out


def test_manifest_without_embedded_toml_is_a_usage_error():
    with pytest.raises(UsageError, match="no ConfigMap"):
        read_manifest(b"apiVersion: v1\nkind: Service\nmetadata: {name: x}\n", "svc.yaml")
    run = cli("configmap", "-", "--from", "4.3", "--to", "4.4", stdin=b"kind: ConfigMap\ndata: [\n")
    assert run.code == 2 and run.err.startswith("k8s-migrate: error: -:") and "Traceback" not in run.err


def test_profile_option_is_checked():
    run = cli("configmap", "-", "--from", "4.3", "--to", "4.4", "--profile", "nope", stdin=MANIFEST.encode())
    assert run.code == 2 and "unknown profile 'nope'" in run.err
