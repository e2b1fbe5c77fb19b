"""The reference deployment.toml files the property tests run over, each with its API-M version."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REFERENCE


def stock_tomls(reference: Path = REFERENCE) -> list[tuple[Path, str]]:
    """Every stock deployment.toml (repository/conf and the 4.5.0+ profiles) with its version."""
    apim = reference / "apim"
    found = sorted(apim.glob("*/repository/conf/deployment.toml")) + sorted(apim.glob("*/profiles/*/deployment.toml"))
    return [(p, p.relative_to(apim).parts[0]) for p in found]


def real_world_tomls(reference: Path = REFERENCE) -> list[tuple[Path, str]]:
    """The user-written deployment.toml files, with the version real-world/INDEX.md gives them."""
    index = reference / "real-world" / "INDEX.md"
    if not index.is_file():
        return []
    out = []
    for row in index.read_text().splitlines():
        cells = [c.strip().strip("`") for c in row.strip().strip("|").split("|")]
        if len(cells) > 3 and cells[2] == "toml" and re.fullmatch(r"\d+\.\d+\.\d+", cells[3]):
            out.append((reference / "real-world" / cells[0] / cells[1], cells[3]))
    return out


def all_tomls() -> list[tuple[Path, str]]:
    return stock_tomls() + real_world_tomls()


def toml_ids(cases: list[tuple[Path, str]]) -> list[str]:
    return [
        str(p.relative_to(REFERENCE)).replace("/repository/conf/deployment.toml", "").replace("/deployment.toml", "")
        for p, _ in cases
    ]
