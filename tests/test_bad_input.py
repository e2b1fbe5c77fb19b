"""Bad input never crashes: exit 2, one line on stderr naming the file (and line), input untouched.

The corpus under tests/malformed/<kind>/ holds small hand-written invalid files in the style of toml-test
and yaml-test-suite; big and binary cases are generated here. A hypothesis fuzz mutates valid files
(K8S_MIGRATE_FUZZ_EXAMPLES sets the number of examples; 2000 with K8S_MIGRATE_LONG=1, as in CI, 100 otherwise).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from command_cases import COMMANDS, Command, params
from helpers import cli, examples

MALFORMED = Path(__file__).parent / "malformed"
SECRET_MARK = "Secr3t"  # the corpus spells every secret value with this, so a leak shows
ERROR_LINE = re.compile(r"^k8s-migrate: error: (?P<file>[^:]+)(?::(?P<line>\d+))?: \S")


def corpus(kind: str) -> list[Path]:
    return sorted((MALFORMED / kind).glob(f"*.{kind}"))


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


def run_bad(command: Command, path: Path, *extra: str):
    """Run the command on a bad file with --in-place --backup (so a stray write would show), and check the rules."""
    before = snapshot(path.parent)
    result = cli(command.name, str(path), *command.args, "--in-place", "--backup", *extra)
    assert result.code == 2, f"exit {result.code} for {path.name}: {result.err[:300]}"
    assert "Traceback" not in result.err + result.out
    lines = result.err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert ERROR_LINE.match(lines[0]) and str(path) in lines[0], lines[0]
    assert "internal error" not in lines[0], lines[0]
    assert SECRET_MARK not in lines[0], f"a secret leaked into the error: {lines[0]}"
    assert result.out == ""
    assert snapshot(path.parent) == before, "the input (or its directory) changed"
    return lines[0]


def place(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return path


def test_corpus_is_large_enough():
    assert len(corpus("toml")) + len(corpus("yaml")) >= 100
    assert len(corpus("toml")) >= 80 and len(corpus("yaml")) >= 20


@pytest.mark.parametrize("case", corpus("toml"), ids=lambda p: p.stem)
def test_malformed_toml(case: Path, tmp_path: Path):
    line = run_bad(COMMANDS[0], place(tmp_path, case.name, case.read_bytes()))
    assert ERROR_LINE.match(line).group("line"), f"a TOML parse error should name its line: {line}"


@pytest.mark.parametrize("command", params("yaml"))
@pytest.mark.parametrize("case", corpus("yaml"), ids=lambda p: p.stem)
def test_malformed_yaml(command: Command, case: Path, tmp_path: Path):
    if command.name == "values" and case.stem.startswith("duplicate-"):
        # Helm accepts a repeated key (the last wins), so values does too, with a review entry (issue 15)
        run = cli(command.name, str(place(tmp_path, case.name, case.read_bytes())), *command.args)
        assert run.code == 0 and "is given 2 times in one mapping" in run.err, run.err
        return
    run_bad(command, place(tmp_path, case.name, case.read_bytes()))


def toml_of_size(size: int) -> bytes:
    """A valid TOML document (unique tables) of at least ``size`` bytes."""
    line = b'[t%08d]\nkey = "' + b"x" * 40 + b'"\n'
    count = size // (len(line) - 2) + 1
    return b"".join(line % i for i in range(count))


GENERATED = {
    "empty": b"",
    "whitespace-only": b" \n\t\n\n",
    "bom-only": b"\xef\xbb\xbf",
    "nul-bytes": b"a = 1\n\x00\x00\x00\n",
    "png-header": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
    "gzip-bytes": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00",
    "latin1-not-utf8": 'hostname = "m\u00fcnchen"\n'.encode("latin-1"),
    "truncated-utf8": b'hostname = "\xe2\x82"\n',
    "utf16-with-bom": 'hostname = "a"\n'.encode("utf-16"),
    "overlong-utf8": b'a = "\xc0\xaf"\n',
    "utf8-surrogate": b'a = "\xed\xa0\x80"\n',
    "twenty-megabytes": None,  # built at test time
}


@pytest.mark.parametrize("command", params())
@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_bad_input(command: Command, name: str, tmp_path: Path):
    data = GENERATED[name] if GENERATED[name] is not None else toml_of_size(20 * 1024 * 1024)
    run_bad(command, place(tmp_path, f"input{command.suffix}", data))


def test_twenty_megabytes_on_stdin_is_refused():
    result = cli("toml", "-", *COMMANDS[0].args, stdin=toml_of_size(20 * 1024 * 1024))
    assert result.code == 2 and len(result.err.splitlines()) == 1 and "stdin" in result.err


def test_missing_file_and_directory(tmp_path: Path):
    for target in (tmp_path / "nope.toml", tmp_path):
        result = cli("toml", str(target), *COMMANDS[0].args)
        assert result.code == 2 and len(result.err.splitlines()) == 1 and str(target) in result.err


# ---- fuzz ------------------------------------------------------------------------------------
SEEDS = [
    b'[server]\nhostname = "am.example.com"  # the public name\nnode_ip = "127.0.0.1"\n\n'
    b'[super_admin]\nusername = "admin"\npassword = "$secret{admin_password}"\n\n'
    b'[database.apim_db]\ntype = "mysql"\nurl = "jdbc:mysql://db:3306/apim?useSSL=false"\n'
    b'pool_options.maxActive = 100\n\n[[apim.gateway.environment]]\nname = "Default"\n'
    b'http_endpoint = "http://gw:${http.nio.port}"\n\n[apim.cors]\nallow_headers = ["a", "b"]\n',
    b"[monitoring.jmx]\nrmi_server_start=false\n\n[database.shared_db]\njmx_enable = \"true\"\n",
    b'system.parameter."org.wso2.CipherTransformation" = "RSA/ECB/OAEPwithSHA1andMGF1Padding"\n'
    b"[apim.key_manager]\nconfiguration = { ServerURL = 'https://km:9443/services/', Username = \"x\" }\n"
    b'[transport.passthru_https.listener.parameters]\nmulti = """\nline\n"""\n',
]
TOKENS = [b"[", b"]", b"[[", b"]]", b'"', b"'", b'"""', b"=", b"\n", b"{", b"}", b",", b".", b"#", b"\\",
          b"{{ .Values.x }}", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\r", b"\t", b"$env{", b"1979-05-27", b"0x"]
edits = st.lists(st.tuples(st.sampled_from(["insert", "delete", "duplicate", "truncate"]),
                           st.floats(0, 1), st.sampled_from(TOKENS) | st.binary(max_size=4)), min_size=1, max_size=4)


def mutate(data: bytes, ops) -> bytes:
    for op, where, payload in ops:
        at = int(where * len(data))
        if op == "insert":
            data = data[:at] + payload + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + 1 + len(payload):]
        elif op == "duplicate":
            line_start = data.rfind(b"\n", 0, at) + 1
            line_end = data.find(b"\n", at) + 1 or len(data)
            data = data[:line_end] + data[line_start:line_end] + data[line_end:]
        else:
            data = data[:at]
    return data


FUZZ_EXAMPLES = int(os.environ.get("K8S_MIGRATE_FUZZ_EXAMPLES", examples(2000)))
settings.register_profile("bad-input-fuzz", max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(settings.get_profile("bad-input-fuzz"))
@given(seed=st.sampled_from(SEEDS), ops=edits, mode=st.sampled_from(["edit", "edit", "edit", "rebase"]))
def test_fuzz_mutated_toml(tmp_path: Path, seed: bytes, ops, mode: str):
    data = mutate(seed, ops)
    path = tmp_path / "deployment.toml"
    path.write_bytes(data)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    result = cli("toml", str(path), "--from", "4.2", "--to", "4.6", "--mode", mode, "--check", "-q")
    assert result.code in (0, 1, 2), result.err
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    if result.code == 2:
        lines = result.err.splitlines()
        assert len(lines) == 1 and ERROR_LINE.match(lines[0]) and str(path) in lines[0], lines
    assert path.read_bytes() == data and path.stat().st_mtime_ns == 1_000_000_000
