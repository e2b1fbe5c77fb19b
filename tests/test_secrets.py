"""Nothing leaked: no secret value from an input reaches a report (text, JSON, Markdown, SARIF), a diff
or an error line, unless --show-secrets.

Which input values count as secrets (the scan's rule):
- the key's last segment names a secret (mappings/secrets.json, as k8s_migrate.report.masking reads it);
- the value is a string or number, not a placeholder ($secret{}, $env{}, $sys{}, $ref{}, ${...});
- it is at least 4 characters long and not a bare boolean word;
- it is not also the value of a non-secret key in the same file (e.g. "admin" as both username and
  password: printing the username is fine, and it cannot be told apart).
Stock files hold only such shared values, so each reference file is also scanned "seeded": every literal
secret-keyed string replaced by a distinct value.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from k8s_migrate.hub import flatten, format_key, is_placeholder
from k8s_migrate.report.masking import is_secret_key

from helpers import cli
from reference_inputs import all_tomls, toml_ids

CASES = all_tomls()
REPORTS = (".md", ".sarif")  # .json comes with the --diff run; the text report is stderr


def secrets_in(data: bytes) -> set[str]:
    leaves = {format_key(p): v for p, v in flatten(tomllib.loads(data.decode("utf-8").removeprefix("\ufeff"))).items()}
    def texts(value):
        values = value if isinstance(value, list) else [value]
        return {str(v) for v in values if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    secret = {t for k, v in leaves.items() if is_secret_key(k) for t in texts(v)}
    public = {t for k, v in leaves.items() if not is_secret_key(k) for t in texts(v)}
    return {s for s in secret - public if len(s) >= 4 and not is_placeholder(s) and s.lower() not in ("true", "false")}


def outputs(path: Path, version: str, mode: str, tmp_path: Path, *extra: str) -> dict[str, str]:
    """Every channel a user sees: reports in all formats, the diff, stdout and stderr."""
    target = "4.6.0" if tuple(map(int, version.split("."))) < (4, 6, 0) else version
    base = ("toml", str(path), "--from", version, "--to", target, "--mode", mode, *extra)
    seen: dict[str, str] = {}
    diff = cli(*base, "--diff", "--report", str(tmp_path / "r.json"))
    assert diff.code == 0, diff.err
    seen["diff"], seen["stderr"], seen[".json"] = diff.out, diff.err, (tmp_path / "r.json").read_text()
    for suffix in REPORTS:
        run = cli(*base, "-q", "-o", str(tmp_path / "out.toml"), "--report", str(tmp_path / f"r{suffix}"))
        assert run.code == 0, run.err
        seen[suffix] = (tmp_path / f"r{suffix}").read_text()
    return seen


def leaks(seen: dict[str, str], secrets: set[str]) -> list[tuple[str, str]]:
    return [(channel, s) for channel, text in seen.items() for s in secrets if s in text]


SECRET_LINE = re.compile(r'^(?P<head>\s*(?P<key>[A-Za-z0-9_.\-"]+)\s*=\s*)"(?P<value>[^"$]*)"', re.M)


def seeded(text: str) -> str:
    """The file with every literal secret-keyed string replaced by a distinct, unmistakable one
    (stock files hold only well-known values such as "wso2carbon", which also name aliases)."""
    count = iter(range(10**6))
    return SECRET_LINE.sub(
        lambda m: f'{m["head"]}"Sekr3t-{next(count)}-k8sm"' if is_secret_key(m["key"]) else m[0], text
    )


@pytest.mark.parametrize("path,version", CASES, ids=toml_ids(CASES))
def test_no_secret_reaches_any_output(reference_dir: Path, tmp_path: Path, path: Path, version: str):
    secrets = secrets_in(path.read_bytes())
    found = leaks(outputs(path, version, "rebase", tmp_path), secrets)
    assert not found, f"secrets printed: {found[:5]}"


@pytest.mark.parametrize("mode", ["rebase", "edit"])
@pytest.mark.parametrize("path,version", CASES, ids=toml_ids(CASES))
def test_no_seeded_secret_reaches_any_output(reference_dir: Path, tmp_path: Path, path: Path, version: str, mode: str):
    text = seeded(path.read_text(encoding="utf-8"))
    source = tmp_path / "deployment.toml"
    source.write_text(text, encoding="utf-8")
    secrets = secrets_in(source.read_bytes())
    assert "Sekr3t-" not in text or secrets
    found = leaks(outputs(source, version, mode, tmp_path), secrets)
    assert not found, f"secrets printed: {found[:5]}"


def test_the_scan_finds_secrets_when_shown(reference_dir: Path, tmp_path: Path):
    """--show-secrets opts out, so the same scan must find them: the test can fail."""
    path, version = next((p, v) for p, v in CASES if v == "3.2.0")
    source = tmp_path / "deployment.toml"
    source.write_text(seeded(path.read_text(encoding="utf-8")), encoding="utf-8")
    secrets = secrets_in(source.read_bytes())
    assert len(secrets) >= 3, secrets
    found = leaks(outputs(source, version, "rebase", tmp_path, "--show-secrets"), secrets)
    assert {c for c, _ in found} >= {"diff", ".json"}


USER_FILE = """\
[super_admin]
username = "admin"
password = "s3cr3t-Admin-PW"  # the admin password
create_admin_account = true

[keystore.tls]
file_name = "wso2carbon.jks"
password = "$secret{keystore_password}"
key_password = "$env{KEY_PASSWORD}"

[apim.key_manager]
configuration = { client_secret = "km-client-secret-77", username = "km" }

[[apim.gateway.environment]]
name = "Default"
password = "gw-env-pass-99"

[apim.analytics]
auth_token = "tok-4f9c1e2a-analytics"
"""


def test_secret_keys_of_every_kind_are_masked_and_placeholders_kept(tmp_path: Path):
    path = tmp_path / "deployment.toml"
    path.write_text(USER_FILE)
    secrets = secrets_in(path.read_bytes())
    assert secrets == {"s3cr3t-Admin-PW", "km-client-secret-77", "gw-env-pass-99", "tok-4f9c1e2a-analytics"}
    for mode in ("rebase", "edit"):
        seen = outputs(path, "4.2.0", mode, tmp_path)
        assert not leaks(seen, secrets), leaks(seen, secrets)
        assert "$secret{keystore_password}" in seen[".json"] and "$env{KEY_PASSWORD}" in seen[".json"]
    out = (tmp_path / "out.toml").read_text()
    assert 'password = "$secret{keystore_password}"' in out and 'key_password = "$env{KEY_PASSWORD}"' in out


def test_error_lines_do_not_echo_secrets(tmp_path: Path):
    for text in ('password = "hunter2-secret" trailing\n', '[a]\npassword = "hunter2-secret"\npassword = "x"\n',
                 'password = "hunter2-secret\n'):
        path = tmp_path / "deployment.toml"
        path.write_text(text)
        result = cli("toml", str(path), "--from", "4.2", "--to", "4.6")
        assert result.code == 2 and "hunter2" not in result.err, result.err
