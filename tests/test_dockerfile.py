"""The Dockerfile, read as instructions (no container builder runs in this suite): a slim Python base,
a non-root user in the final stage, k8s-migrate as the entrypoint, and COPY sources that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            found.append([])
        assert found, "the Dockerfile must start with FROM"
        found[-1].append(instruction)
    return found


def test_every_stage_builds_on_a_slim_python_image():
    for stage in stages((REPO / "Dockerfile").read_text()):
        image = stage[0][1].split()[0]
        assert re.fullmatch(r"python:3\.1[1-9](\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), image


def test_the_final_stage_runs_as_a_non_root_user():
    final = stages((REPO / "Dockerfile").read_text())[-1]
    users = [args for word, args in final if word == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    created = " ".join(args for word, args in final if word == "RUN")
    assert f"--uid {user}" in created or re.search(rf"useradd\b.*\b{user}\b", created)


def test_the_entrypoint_is_k8s_migrate_in_exec_form():
    final = stages((REPO / "Dockerfile").read_text())[-1]
    entry = [args for word, args in final if word == "ENTRYPOINT"]
    assert len(entry) == 1
    assert json.loads(entry[0]) == ["k8s-migrate"]
    assert "k8s-migrate" in (REPO / "pyproject.toml").read_text().split("[project.scripts]")[1]


def test_copy_sources_exist_and_nothing_is_fetched_with_add():
    for stage in stages((REPO / "Dockerfile").read_text()):
        for word, args in stage:
            assert word != "ADD", "use COPY; ADD fetches URLs and unpacks archives"
            if word == "COPY" and not args.startswith("--from"):
                for source in args.split()[:-1]:
                    assert (REPO / source).exists(), source
