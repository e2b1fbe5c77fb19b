"""What this installation is: the tool's version and the data it carries (read from mappings/, fast)."""

from __future__ import annotations

import re

from .data import load_json, mappings_dir

_RULE_LINE = re.compile(r"^  - id:", re.MULTILINE)


def tool_version() -> str:
    from . import __version__

    return __version__


def api_m_versions() -> list[str]:
    return [item["version"] for item in load_json("catalog/index.json")["versions"]]


def chart_ids() -> list[str]:
    return list(load_json("charts/index.json")["charts"])


def rule_count() -> int:
    """The rules in mappings/apim/*.yaml, counted by their `- id:` lines (a test checks this equals the
    loader's count)."""
    return sum(len(_RULE_LINE.findall(path.read_text(encoding="utf-8")))
               for path in (mappings_dir() / "apim").glob("*.yaml"))


def version_text() -> str:
    charts = chart_ids()
    lines = [
        f"k8s-migrate {tool_version()}",
        f"API-M versions: {', '.join(api_m_versions())}",
        f"rules: {rule_count()} in mappings/apim",
        f"charts ({len(charts)}):",
        *(f"  {chart}" for chart in charts),
        f"data: {mappings_dir()}",
    ]
    return "\n".join(lines) + "\n"
