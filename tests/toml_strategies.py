"""Hypothesis strategies for deployment.toml-like documents, written as text in varied styles.

Keys mix real API-M names (so rules fire) with random ones; values include placeholders, arrays,
inline tables and multi-line strings; comments and blank lines sit at every position.
"""

from __future__ import annotations

import tomllib

from hypothesis import assume
from hypothesis import strategies as st

REAL = ["server", "hostname", "node_ip", "apim", "gateway", "environment", "name", "database", "apim_db",
        "shared_db", "url", "username", "password", "key_manager", "cors", "allow_origins", "transport",
        "https", "properties", "proxyPort", "keystore", "tls", "file_name", "key_password", "analytics",
        "enable", "throttling", "event_hub", "service_url", "token", "client_secret", "oauth_config"]
bare = st.sampled_from(REAL) | st.text("abcxyz_-09", min_size=1, max_size=8)
quoted = st.text("abcXYZ", min_size=1, max_size=6).map(lambda s: f'"org.wso2.{s}"') | st.just("'a b'")
key_part = bare | quoted
dotted_key = st.lists(key_part, min_size=1, max_size=3).map(".".join)

safe_text = st.text("abcXYZ019 _-./:#=[]{}$ü✓\t", max_size=12)
placeholder = st.sampled_from(["$env{DB_URL}", "$secret{admin_password}", "$sys{carbon.home}", "${hostname}",
                               "$ref{keystore.tls.password}", "https://${host}:${mgt.transport.https.port}/x"])
basic_string = (safe_text | placeholder).map(lambda s: f'"{s}"')
literal_string = safe_text.map(lambda s: f"'{s}'")
multiline = st.sampled_from(['"""\nline one\n  line two\n"""', "'''\nraw \\n text\n'''", '"""one line"""',
                             '"""\\\n  folded \\\n  text"""'])
number = st.integers(-10**6, 10**6).map(str) | st.sampled_from(["1_000", "0x1F", "3.14", "-0.5e3", "inf", "+12"])
boolean = st.sampled_from(["true", "false"])
scalar = basic_string | literal_string | number | boolean | multiline
array = st.lists(basic_string | number, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]") | st.just(
    '[\n  "a",\n  "b", # c\n]'
)
inline = st.lists(st.tuples(bare, basic_string | number), max_size=3, unique_by=lambda t: t[0]).map(
    lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}")
value = scalar | array | inline
comment = st.sampled_from(["# a comment", "#", "# password = \"not a key\"", "#[not.a.table]", "# ünïcode ✓"])
spacing = st.sampled_from([" = ", "=", "  =  ", "\t=\t"])
indent = st.sampled_from(["", "", "  ", "\t"])


@st.composite
def assignment(draw) -> str:
    line = draw(indent) + draw(dotted_key) + draw(spacing) + draw(value)
    if draw(st.booleans()):
        line += draw(st.sampled_from([" ", "  ", "\t"])) + draw(comment)
    return line


@st.composite
def body(draw) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["assign", "assign", "assign", "comment", "blank"]))
        lines.append(draw(assignment()) if kind == "assign" else draw(comment) if kind == "comment" else "")
    return lines


@st.composite
def header(draw) -> str:
    name = draw(dotted_key)
    text = f"[[{name}]]" if draw(st.integers(0, 3)) == 0 else f"[{name}]"
    return draw(indent) + text + (draw(st.sampled_from(["", " # header comment"])))


@st.composite
def toml_text(draw) -> str:
    """A valid TOML document (as parsed by both tomllib and tomlkit)."""
    lines = draw(body())
    for _ in range(draw(st.integers(0, 4))):
        lines.append(draw(header()))
        lines += draw(body())
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))
    try:
        tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        assume(False)
    assume(text.strip())
    return text


def with_line_endings(text: str, crlf: bool, bom: bool) -> bytes:
    if crlf:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")
