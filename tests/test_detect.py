"""Detection: --from and --chart left out, --from that contradicts the keys, the wrong kind of input."""

from __future__ import annotations

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from k8s_migrate.data import mappings_dir
from k8s_migrate.detect import contradiction, detect_chart, detect_version, sniff_kind, version_range
from k8s_migrate.hub import flatten

from helpers import LONG, cli

REPO = Path(__file__).resolve().parent.parent
REAL = REPO.parent / "shared" / "reference" / "real-world"


def detect_file(path: Path):
    text = path.read_text(encoding="utf-8")
    return detect_version(flatten(tomllib.loads(text)), text)


# real files whose version their INDEX.md establishes; detection must name it or list it among the candidates
@pytest.mark.parametrize("name,version,decided", [
    ("deevally-320-aio", "3.2.0", True),
    ("aobregonmx-430-aio", "4.3.0", True),
    ("csdg-420-cp", "4.2.0", False),
    ("csdg-420-tm", "4.2.0", False),
    ("rgl-450-aio", "4.5.0", False),
])
def test_real_files_detect_their_version(reference_dir, name, version, decided):
    found = detect_file(reference_dir / "real-world" / name / "deployment.toml")
    assert version in found.candidates
    assert (found.value == version) is decided
    assert found.evidence


@pytest.mark.parametrize("version", ["3.2.0", "4.3.0", "4.7.0"])
def test_a_stock_file_is_its_own_version(reference_dir, version):
    folder = reference_dir / "apim" / version
    path = folder / "repository/conf/deployment.toml"
    found = detect_file(path if path.is_file() else folder / "profiles/all-in-one-apim/deployment.toml")
    assert found.value == version


def test_server_role_names_narrow_the_version():
    found = detect_version(flatten(tomllib.loads('[server]\nserver_role = "api-publisher"\n')))
    assert set(found.candidates) <= {"3.0.0", "3.1.0", "3.2.0"} and found.candidates
    assert any('server.server_role = "api-publisher"' in e for e in found.evidence)


def test_an_image_tag_decides():
    text = '[server]\nhostname = "a"\n# built from wso2/wso2am:4.1.0\n'
    found = detect_version(flatten(tomllib.loads(text)), text)
    assert found.value == "4.1.0" and "image wso2am:4.1.0" in found.evidence


def test_a_fragment_has_no_evidence(reference_dir):
    found = detect_file(reference_dir / "real-world" / "keys4words-410-minimal" / "deployment.toml")
    assert found.value is None and found.candidates == ()


def test_contradiction_names_the_evidence(reference_dir):
    found = detect_file(reference_dir / "real-world" / "rgl-450-aio" / "deployment.toml")
    warning = contradiction(found, "3.2")
    assert warning.startswith("--from 3.2.0, but the file looks like 4.4.0+: keys only 4.4.0+ know: ")
    assert contradiction(found, "4.5") is None


def test_version_range_reads_like_english():
    assert version_range(["4.2.0", "4.3.0"]) == "4.2.0 to 4.3.0"
    assert version_range(["4.6.0", "4.7.0"]) == "4.6.0+"
    assert version_range(["3.2.0", "4.2.0"]) == "3.2.0, 4.2.0"


def test_toml_without_from_uses_the_detected_version_and_says_why(reference_dir, tmp_path):
    path = reference_dir / "real-world" / "aobregonmx-430-aio" / "deployment.toml"
    done = cli("toml", path, "--to", "4.6", "--report", str(tmp_path / "r.json"), "-q")
    assert done.code == 0, done.err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["from"] == "4.3.0"
    assert report["notes"][0].startswith("from 4.3.0 (detected: keys only 4.1.0 to 4.3.0 know: ")


def test_toml_without_from_on_an_ambiguous_file_names_the_candidates(reference_dir):
    path = reference_dir / "real-world" / "csdg-420-cp" / "deployment.toml"
    done = cli("toml", path, "--to", "4.6", "-q")
    assert done.code == 2 and done.out == ""
    assert done.err.startswith(f"k8s-migrate: error: {path}: cannot tell which API-M version this file is for: "
                               "it fits 4.1.0 to 4.6.0 (")
    assert done.err.endswith("give --from VERSION (or record it under 'versions:' in the answers file)\n")
    assert done.err.count("\n") == 1


def test_the_answers_file_decides_an_ambiguous_version(reference_dir, tmp_path):
    (tmp_path / ".git").mkdir()
    node = tmp_path / "cp" / "deployment.toml"
    node.parent.mkdir()
    node.write_bytes((reference_dir / "real-world" / "csdg-420-cp" / "deployment.toml").read_bytes())
    (tmp_path / ".k8s-migrate.yaml").write_text("versions:\n  cp/deployment.toml: '4.2'\n")
    done = cli("toml", node, "--to", "4.6", "--report", str(tmp_path / "r.json"), "-q")
    assert done.code == 0, done.err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["from"] == "4.2.0" and report["notes"][0].startswith("from 4.2.0 (the answers file ")


def test_from_that_contradicts_the_keys_warns_in_the_report_and_with_q(reference_dir):
    path = reference_dir / "real-world" / "rgl-450-aio" / "deployment.toml"
    done = cli("toml", path, "--from", "3.2", "--to", "4.6")
    assert done.code == 0
    assert "  note: warning: --from 3.2.0, but the file looks like 4.4.0+: keys only 4.4.0+ know: " in done.err
    quiet = cli("toml", path, "--from", "3.2", "--to", "4.6", "-q")
    assert quiet.err.startswith(f"k8s-migrate: warning: {path}: --from 3.2.0, but the file looks like 4.4.0+")
    fits = cli("toml", path, "--from", "4.5", "--to", "4.6", "-q")
    assert fits.err == ""


def test_configmap_without_from(tmp_path):
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apim\ndata:\n  deployment.toml: |\n"
                        "    [server]\n    hostname = \"a\"\n    # image wso2/wso2am:4.2.0\n")
    done = cli("configmap", manifest, "--to", "4.6", "--report", str(tmp_path / "r.json"), "-q")
    assert done.code == 0, done.err
    assert json.loads((tmp_path / "r.json").read_text())["from"] == "4.2.0"


@pytest.mark.parametrize("name,chart", [
    ("chilcano-450-aio-values/wso2-am-pattern-0-all-in-one-values.yaml", "helm-apim/all-in-one@4.5.x"),
    ("petro-420-pattern1-values/values.yaml", "kubernetes-apim/am-pattern-1@4.2.x"),
    ("thomas-460-gw-values/apim-gw-values.yaml", "helm-apim/gateway@4.6.x"),
])
def test_real_values_detect_their_chart(reference_dir, name, chart):
    values = YAML(typ="safe").load((reference_dir / "real-world" / name).read_text())
    assert detect_chart(values).value == chart


@pytest.mark.parametrize("branch", ["4.2.x", "4.4.x", "4.6.x", "4.7.x"])
@pytest.mark.parametrize("chart", ["all-in-one", "distributed/gateway", "distributed/traffic-manager"])
def test_a_chart_default_values_file_is_its_own_chart(reference_dir, branch, chart):
    path = reference_dir / "helm-apim" / branch / chart / "values.yaml"
    found = detect_chart(YAML(typ="safe").load(path.read_text()))
    assert found.value == f"helm-apim/{chart.split('/')[-1]}@{branch}", found


def test_values_without_chart_uses_the_detected_chart(reference_dir, tmp_path):
    path = reference_dir / "real-world" / "thomas-460-gw-values" / "apim-gw-values.yaml"
    done = cli("values", path, "--to-chart", "helm-apim/gateway@4.7.x", "--report", str(tmp_path / "r.json"), "-q")
    assert done.code == 0, done.err
    assert json.loads((tmp_path / "r.json").read_text())["notes"][0].startswith(
        "chart helm-apim/gateway@4.6.x (detected: 150 of its 152 values paths are the chart's values")


def test_values_without_chart_on_unknown_paths_is_one_line(tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text("someOtherApp:\n  replicas: 2\n")
    done = cli("values", path, "--to-chart", "helm-apim/gateway@4.7.x")
    assert done.code == 2
    assert done.err == (f"k8s-migrate: error: {path}: cannot tell which chart these values are for: its values paths "
                        "match no built-in chart; give --chart CHART\n")


CONFIGMAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  deployment.toml: |\n    [server]\n    a = 1\n"
)
TOML = '[server]\nhostname = "a"\n'
VALUES = "wso2:\n  apim:\n    version: 4.2.0\n"


@pytest.mark.parametrize(
    "command,text,right",
    [
        (
            ["values", "--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.6.x"],
            CONFIGMAP,
            "configmap",
        ),
        (["values", "--chart", "helm-apim/all-in-one@4.2.x", "--to-chart", "helm-apim/all-in-one@4.6.x"], TOML, "toml"),
        (["toml", "--from", "4.2", "--to", "4.6"], VALUES, "values"),
        (["toml", "--from", "4.2", "--to", "4.6"], CONFIGMAP, "configmap"),
        (["configmap", "--from", "4.2", "--to", "4.6"], TOML, "toml"),
    ],
)
def test_the_wrong_kind_of_input_names_the_right_command(tmp_path, command, text, right):
    path = tmp_path / "input"
    path.write_text(text)
    done = cli(command[0], path, *command[1:])
    assert done.code == 2 and done.out == ""
    assert done.err.count("\n") == 1
    # a file given to toml names the line where it stops being TOML, like any TOML error
    assert re.match(
        rf"k8s-migrate: error: {re.escape(str(path))}{':1' if command[0] == 'toml' else ''}: this is ", done.err
    )
    assert done.err.endswith(f": use 'k8s-migrate {right}'\n")
    assert path.read_text() == text


def test_sniffing_never_refuses_valid_toml_or_values(reference_dir):
    for path in sorted(reference_dir.glob("apim/*/repository/conf/deployment.toml")):
        assert sniff_kind(path.read_text()) == "toml", path
    for path in sorted(reference_dir.glob("helm-apim/*/all-in-one/values.yaml")):
        assert sniff_kind(path.read_text()) == "values", path


@pytest.mark.skipif(not LONG, reason="regenerates the fingerprints (K8S_MIGRATE_LONG=1)")
def test_rederiving_the_fingerprints_gives_identical_bytes(reference_dir, tmp_path):
    spec = importlib.util.spec_from_file_location("derive_fingerprints", REPO / "scripts" / "derive_fingerprints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.derive(reference_dir, tmp_path):
        assert path.read_bytes() == (mappings_dir() / "detect" / path.name).read_bytes(), path.name


class Tty:
    def __init__(self, text: str = ""):
        import io

        self.buffer, self.written = io.StringIO(text), []

    def isatty(self):
        return True

    def readline(self):
        return self.buffer.readline()

    def write(self, text):
        self.written.append(text)

    def flush(self):
        pass


def test_an_ambiguous_version_is_asked_on_a_terminal_and_recorded(reference_dir, tmp_path, monkeypatch):
    import sys

    from k8s_migrate.answers import load_answers
    from k8s_migrate.commands.detection import resolve_from

    (tmp_path / ".git").mkdir()
    node = tmp_path / "cp" / "deployment.toml"
    node.parent.mkdir()
    data = (reference_dir / "real-world" / "csdg-420-cp" / "deployment.toml").read_bytes()
    node.write_bytes(data)
    stdin, stderr = Tty("4.9\n4.2\n"), Tty()
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stderr", stderr)
    version, notes = resolve_from(data, str(node), None, "toml", load_answers(None, node))
    assert version == "4.2.0" and notes[0].startswith("from 4.2.0 (answered at the prompt")
    said = "".join(stderr.written)
    assert f"Which API-M version is {node} for? It fits 4.1.0, 4.2.0" in said and "not one of" in said
    assert load_answers(None, node).versions == {"cp/deployment.toml": "4.2.0"}
    # end of input: nothing recorded, the one-line error
    monkeypatch.setattr(sys, "stdin", Tty(""))
    other = tmp_path / "tm.toml"
    other.write_bytes(data)
    with pytest.raises(Exception, match="cannot tell which API-M version"):
        resolve_from(data, str(other), None, "toml", load_answers(None, other))
    assert "tm.toml" not in (tmp_path / ".k8s-migrate.yaml").read_text()
