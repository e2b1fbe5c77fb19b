"""Write mappings/apim/packs.compiled.json ($K8S_MIGRATE_MAPPINGS/apim/ when set): the rule packs (mappings/apim/*.yaml) as JSON, each with its YAML's sha256.

    python3 scripts/compile_rule_packs.py

The CLI reads a pack from this file (json's C parser) when the sha256 matches the YAML beside it, and parses the
YAML otherwise; `rules lint` fails while the file is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from k8s_migrate.data import mappings_dir  # noqa: E402
from k8s_migrate.rules.load import COMPILED, compile_packs  # noqa: E402


def main() -> None:
    folder = mappings_dir() / "apim"
    text = json.dumps(compile_packs(folder), ensure_ascii=False, separators=(",", ":"))  # key order is data
    (folder / COMPILED).write_text(text + "\n", encoding="utf-8")
    print(f"wrote {folder / COMPILED}")


if __name__ == "__main__":
    main()
