import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """WSO2's reference data beside the checkout (CI always has it; a laptop may not)."""
    if not REFERENCE.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing at {REFERENCE}")
        pytest.skip(f"reference data not found at {REFERENCE}")
    return REFERENCE
