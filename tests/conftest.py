import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "reference"
CACHE = tempfile.mkdtemp(prefix="k8s-migrate-tests-cache-")


def pytest_configure(config):
    """The caches a run keeps (charts/render_cache) go to a temporary folder, never the user's. The report's width
    does not follow the terminal pytest runs in: pytest-xdist's workers, and many shells, set COLUMNS."""
    os.environ["XDG_CACHE_HOME"] = CACHE
    os.environ.pop("COLUMNS", None)


def pytest_unconfigure(config):
    shutil.rmtree(CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """WSO2's reference data beside the checkout (CI always has it; a laptop may not)."""
    if not REFERENCE.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"reference data missing at {REFERENCE}")
        pytest.skip(f"reference data not found at {REFERENCE}")
    return REFERENCE
