"""The proof: every migration's report is checked against its output before anything is written.

- Golden cases for the losses real files exposed (tests/golden/proof/<case>/): the input, the expected
  output of each mode, and the report entries that must say what happened.
- A migration whose output would disagree with its report stops with exit 3 and writes nothing.
- `verify OLD NEW` audits a migration made by hand: exit 0 when every change is explained, 1 naming
  the key when one is not.
"""

import json
import os
from pathlib import Path

import pytest

from k8s_migrate.errors import ProofError
from k8s_migrate.migrate.toml import Options, migrate_toml

from helpers import cli

GOLDEN = Path(__file__).parent / "golden" / "proof"
CASES = sorted(p for p in GOLDEN.iterdir() if p.is_dir())
MODES = ("rebase", "edit")


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_proof_case(case, mode):
    spec = json.loads((case / "case.json").read_text())
    before = (case / "input.toml").read_text()
    result = migrate_toml(before.encode(), "input.toml", Options(spec["from"], spec["to"], mode=mode))
    assert result.output == (case / f"expected-{mode}.toml").read_text()
    got = [e.to_dict() for e in result.report.entries]
    for want in spec["entries"][mode]:
        assert any(all(e.get(k) == v for k, v in want.items()) for e in got), f"no entry {want} in {got}"
    assert sorted(comment_lines(result.output)) == sorted(comment_lines(before)), "a comment line was lost"
    again = migrate_toml(result.output.encode(), "output.toml", Options(spec["to"], spec["to"], mode=mode))
    assert again.output == result.output, "not idempotent"


def test_a_report_that_disagrees_with_the_output_stops_the_write(tmp_path, monkeypatch):
    """Plant a writer bug (the carried value is never written) and the proof must catch it."""
    from k8s_migrate.formats import toml as toml_format

    original_set = toml_format.TomlDocument.set

    def lossy_set(self, path, value, *args, **kwargs):
        if path[-1] == "allow_origins":
            return None
        return original_set(self, path, value, *args, **kwargs)

    monkeypatch.setattr(toml_format.TomlDocument, "set", lossy_set)
    source = (GOLDEN / "8-comments-everywhere" / "input.toml").read_bytes()
    with pytest.raises(ProofError) as caught:
        migrate_toml(source, "input.toml", Options("4.2.0", "4.6.0"))
    assert "apim.cors.allow_origins" in str(caught.value)

    target = tmp_path / "deployment.toml"
    target.write_bytes(source)
    out, report = tmp_path / "out.toml", tmp_path / "report.json"
    result = cli("toml", str(target), "--from", "4.2", "--to", "4.6", "-o", str(out), "--report", str(report), "-q")
    assert result.code == 3
    assert "internal inconsistency at apim.cors.allow_origins" in result.err
    assert "nothing written" in result.err and "Traceback" not in result.err
    assert not out.exists() and target.read_bytes() == source
    notes = json.loads(report.read_text())["notes"]
    assert any(n.startswith("proof failed: apim.cors.allow_origins") for n in notes)


def test_a_silently_dropped_customisation_is_an_unexplained_change(monkeypatch):
    """The carry-over forgetting a customised key is caught even when the report says kept."""
    import k8s_migrate.carryover as carryover

    real_put = carryover.put

    def forgetful_put(track, target, out, in_new_stock):
        if target[-1] == "http_endpoint":
            return None
        return real_put(track, target, out, in_new_stock)

    monkeypatch.setattr(carryover, "put", forgetful_put)
    source = (GOLDEN / "1b-own-gateway-environment" / "input.toml").read_bytes()
    with pytest.raises(ProofError) as caught:
        migrate_toml(source, "input.toml", Options("4.2.0", "4.6.0"))
    assert "apim.gateway.environment[0].http_endpoint" in str(caught.value)


# ---- verify OLD NEW: any migration, made by any tool or by hand -------------------------------------
OLD_42 = """[server]
hostname = "apim.example.com"
offset = 2

[database.apim_db]
type = "mysql"
url = "jdbc:mysql://db.example.com:3306/apim_db"
username = "apim"
password = "$secret{db}"

[apim.cors]
allow_origins = "https://portal.example.com"
"""


def test_verify_passes_a_correct_hand_made_migration(tmp_path):
    old = tmp_path / "old.toml"
    old.write_text(OLD_42)
    new = tmp_path / "new.toml"
    # done by hand: the customisations retyped on top of 4.6.0's stock gateway_type line
    new.write_text(OLD_42 + '\n[apim]\ngateway_type = "Regular,APK,AWS,Azure,Kong,Envoy"\n')
    result = cli("verify", str(old), str(new), "--from", "4.2", "--to", "4.6")
    assert result.code == 0, result.out + result.err
    assert "0 unexplained" in result.out
    assert "apim.gateway_type" in result.out and "stock file sets it" in result.out


def test_verify_names_a_planted_silent_loss(tmp_path):
    old = tmp_path / "old.toml"
    old.write_text(OLD_42)
    new = tmp_path / "new.toml"
    new.write_text(OLD_42.replace("offset = 2\n", ""))
    report = tmp_path / "audit.json"
    result = cli("verify", str(old), str(new), "--from", "4.2", "--to", "4.6", "--report", str(report))
    assert result.code == 1
    assert "UNEXPLAINED" in result.out and "server.offset" in result.out
    entries = json.loads(report.read_text())["entries"]
    (lost,) = [e for e in entries if "UNEXPLAINED" in e["message"]]
    assert lost["old_key"] == "server.offset" and lost["line"] == 3


def test_verify_explains_rule_changes_and_audits_configmaps(tmp_path):
    before = tmp_path / "cm-old.yaml"
    after = tmp_path / "cm-new.yaml"
    toml_old = '[integration.transaction_counter]\nenable = true\nserver_id = "gw-eu-1"\n'
    migrated = migrate_toml(toml_old.encode(), "x", Options("4.3.0", "4.4.0", mode="edit")).output

    def manifest(body):
        indented = "".join(f"    {line}\n" for line in body.splitlines())
        return ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apim-conf\ndata:\n"
                f"  deployment.toml: |\n{indented}")

    before.write_text(manifest(toml_old))
    after.write_text(manifest(migrated))
    ok = cli("verify", str(before), str(after), "--from", "4.3", "--to", "4.4")
    assert ok.code == 0, ok.out + ok.err
    after.write_text(manifest(migrated.replace('server_id = "gw-eu-1"\n', "")))
    lost = cli("verify", str(before), str(after), "--from", "4.3", "--to", "4.4")
    assert lost.code == 1 and "integration.transaction_counter.server_id" in lost.out


def test_verify_detects_versions_or_asks_for_them(tmp_path):
    old = tmp_path / "a.toml"
    old.write_text('[server]\nhostname = "x"\n')
    result = cli("verify", str(old), str(old))
    assert result.code == 2 and "give --from" in result.err
    deevally = REFERENCE / "real-world" / "deevally-320-aio" / "deployment.toml"
    if deevally.is_file():
        ok = cli("verify", str(deevally), str(deevally), "--to", "3.2")
        assert ok.code == 0 and "3.2.0 (detected:" in ok.out


# ---- every real-world deployment.toml and ConfigMap, both modes, every later version ---------------
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def real_world_inputs():
    if not REFERENCE.is_dir():
        return []
    found = []
    for path in sorted((REFERENCE / "real-world").glob("*/*")):
        kind = "configmap" if path.suffix in (".yaml", ".yml") and "configmap" in path.parent.name else (
            "toml" if path.suffix == ".toml" else None)
        if kind:
            digits = path.parent.name.split("-")[1]
            found.append((path, kind, f"{digits[0]}.{digits[1]}.{digits[2]}"))
    return found


def later_versions(version):
    from k8s_migrate.catalog import known_versions

    return [v for v in known_versions() if tuple(map(int, v.split("."))) > tuple(map(int, version.split(".")))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "path,kind,version", real_world_inputs(), ids=lambda v: getattr(v, "parent", Path(str(v))).name
)
def test_real_world_files_prove_to_every_later_version(path, kind, version, mode):
    from k8s_migrate.migrate.configmap import migrate_manifest

    data = path.read_bytes()
    targets = later_versions(version)
    if not os.environ.get("K8S_MIGRATE_LONG"):
        targets = targets[:: max(1, len(targets) // 3)]  # a spread; K8S_MIGRATE_LONG=1 runs every one
    for target in targets:
        options = Options(version, target, mode=mode)
        migrate = migrate_manifest if kind == "configmap" else migrate_toml
        result = migrate(data, str(path), options)  # the proof runs inside; a failure raises ProofError
        assert len(comment_lines(result.output)) >= len(comment_lines(data.decode())), f"comments lost to {target}"
        again = migrate(result.output.encode(), str(path), Options(target, target, mode=mode))
        assert again.output == result.output, f"not idempotent at {target}"


# ---- what an operator notices: layout of the rebased file, and WSO2's own profile keys ----------------
def test_rebase_layout_has_no_glued_tables_empty_parents_or_double_blank_lines():
    for case in CASES:
        spec = json.loads((case / "case.json").read_text())
        output = migrate_toml((case / "input.toml").read_bytes(), "in.toml", Options(spec["from"], spec["to"])).output
        lines = output.splitlines()
        for before, line in zip(lines, lines[1:], strict=False):
            assert not (line.startswith("[") and before.strip() and not before.startswith(("#", "["))), \
                f"{case.name}: table glued to a key: {before!r} / {line!r}"
            assert not (before.startswith("[") and line.startswith("[") and not before.startswith("[[")), \
                f"{case.name}: an empty table header the input never had: {before!r}"
        assert "\n\n\n" not in output, f"{case.name}: two blank lines in a row"


def test_keys_of_wsos_own_profile_stock_files_are_known():
    gateway = b'[server]\nserver_role = "gateway-worker"\n\n[apim.oauth_config]\nremove_outbound_auth_header = true\n'
    result = migrate_toml(gateway, "gw.toml", Options("4.0.0", "4.6.0", mode="edit"))
    (entry,) = result.report.for_key("apim.oauth_config.remove_outbound_auth_header")
    assert entry.action != "unknown"


def test_an_emptied_appended_item_goes_and_later_items_shift_down():
    from k8s_migrate.carryover import drop_empty_items
    from k8s_migrate.formats.text import decode
    from k8s_migrate.formats.toml import TomlDocument

    out = TomlDocument(decode(b'[server]\nhostname = "x"\n', "x.toml"), "x.toml")
    first = out.append_item(("event_listener",), {})
    second = out.append_item(("event_listener",), {"id": "mine"})
    shift = drop_empty_items(out, [("event_listener", first), ("event_listener", second)])
    assert shift(("event_listener", 1, "id")) == ("event_listener", 0, "id")
    assert shift(("server", "hostname")) == ("server", "hostname")
    assert out.data()["event_listener"] == [{"id": "mine"}]
    assert drop_empty_items(out, [("event_listener", 0)]) is None


def test_batch_reports_a_failed_proof_as_exit_3_and_writes_nothing_for_that_file(tmp_path, monkeypatch):
    import k8s_migrate.carryover as carryover

    real_put = carryover.put
    monkeypatch.setattr(carryover, "put", lambda track, target, out, stock: None if target[-1] == "http_endpoint"
                        else real_put(track, target, out, stock))
    nodes = tmp_path / "nodes"
    nodes.mkdir()
    (nodes / "deployment.toml").write_bytes((GOLDEN / "1b-own-gateway-environment" / "input.toml").read_bytes())
    out = tmp_path / "out"
    result = cli("batch", str(nodes), "--from", "4.2", "--to", "4.6", "-o", str(out), "--workers", "1", "-q")
    assert result.code == 3, result.err
    assert "internal inconsistency" in result.err
    assert not (out / "deployment.toml").exists()


@pytest.mark.parametrize("mode", ["edit", "rebase"])
def test_empty_tables_in_an_item_do_not_hide_it_from_the_proof(mode):
    """Found by the idempotence property: an item whose other fields are empty tables (no setting in them)
    is the same item after the migration; the proof once called its one real key lost and introduced."""
    text = b'[[server]]\nserver = {}\nhostname = ""\nnode_ip = {}\n'
    result = migrate_toml(text, "x.toml", Options("3.2.0", "4.6.0", mode=mode))
    hostname = [e for e in result.report.entries if e.old_key == "server[0].hostname"]
    assert [e.action for e in hostname] == ["unknown"]
    assert 'hostname = ""' in result.output


@pytest.mark.parametrize("mode", ["edit", "rebase", "data"])
def test_the_proof_reads_the_inputs_role_before_a_rule_renames_it(monkeypatch, mode):
    """The old version's role-implied defaults are the input's role's, also when a rule changes the role and the
    proof runs on the edited document (edit mode, and the values proof's data form)."""
    import k8s_migrate.proof as proof
    from k8s_migrate.migrate.toml_data import migrate_toml_data

    asked = []
    real = proof.implied_by_role
    monkeypatch.setattr(proof, "implied_by_role", lambda cat, role: asked.append((cat.version, role)) or
                        real(cat, role))
    source = '[server]\nhostname = "pub.example.com"\nserver_role = "api-publisher"\n'
    options = Options("3.2.0", "4.0.0", mode="rebase" if mode == "rebase" else "edit")
    if mode == "data":
        migrate_toml_data(source, "input.toml", options)
    else:
        result = migrate_toml(source.encode(), "input.toml", options)
        assert 'server_role = "control-plane"' in result.output
    assert asked == [("3.2.0", "api-publisher"), ("4.0.0", "control-plane")]
