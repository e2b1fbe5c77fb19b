"""Write k8s_migrate/clispec.json (every command's help page) and clispec-fast.json (the fast commands' parameters),
from the typer app.

    python3 scripts/write_cli_spec.py

Run it after changing a command's options or help (tests/test_fast_cli.py fails while the file is out of date).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from k8s_migrate.cli import command  # noqa: E402
from k8s_migrate.clispec import FAST_SPEC, SPEC, build, split  # noqa: E402


def main() -> None:
    for path, part in zip((SPEC, FAST_SPEC), split(build(command())), strict=True):
        Path(path).write_text(json.dumps(part, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
