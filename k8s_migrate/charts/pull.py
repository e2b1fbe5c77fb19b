"""`charts pull`: a built-in chart's templates from a Helm chart repository, into the user's cache.

The repository's index.yaml names each chart version's archive and its sha256 digest; the archive is fetched
(over HTTP, or by `helm pull` when helm is on PATH), its digest checked, and unpacked (regular files only,
inside the target) under $XDG_CACHE_HOME/k8s-migrate/charts/<family>/<chart>/<branch>/.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..data import cache_home, load_json
from ..errors import UsageError
from .chartmap import ChartMap

TIMEOUT = 60


def cache_root() -> Path:
    return cache_home() / "k8s-migrate" / "charts"


def cache_slot(chart_id: str) -> Path:
    family_chart, _, branch = chart_id.partition("@")
    return cache_root().joinpath(*family_chart.split("/"), branch)


def cached_chart(chart_id: str) -> Path | None:
    """The chart directory `charts pull` left for this id, if any."""
    try:
        slot = cache_slot(chart_id)
    except UsageError:  # no cache folder at all: nothing was pulled
        return None
    found = sorted(slot.glob("*/Chart.yaml")) if slot.is_dir() else []
    return found[0].parent if found else None


def default_repository() -> str:
    return load_json("chart-repository.json")["default"]


def _fetch(url: str) -> bytes:
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise UsageError(f"only http(s) chart repositories are supported, not {url}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - scheme checked above
            return response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise UsageError(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-+]", version))


def pick_entry(index: dict, chart_map: ChartMap) -> dict:
    """The index entry for the map's chart: its own version when listed, else the newest of its branch."""
    branch = chart_map.id.partition("@")[2]
    prefix = branch.removesuffix("x")
    entries = (index.get("entries") or {}).get(chart_map.name) or []
    exact = [e for e in entries if str(e.get("version")) == chart_map.version]
    if exact:
        return exact[0]
    same_branch = [e for e in entries if str(e.get("version", "")).startswith(prefix)]
    if not same_branch:
        known = ", ".join(sorted(str(e.get("version")) for e in entries)) or "none"
        raise UsageError(f"the repository has no {chart_map.name} {branch} (versions: {known})")
    return max(same_branch, key=lambda e: _version_key(str(e.get("version"))))


def _archive(repo: str, entry: dict, name: str) -> bytes:
    urls = entry.get("urls") or []
    if not urls:
        raise UsageError(f"the repository index lists no archive for {name} {entry.get('version')}")
    from .helm import helm_binary

    helm = helm_binary()
    if helm:
        with tempfile.TemporaryDirectory(prefix="k8s-migrate-pull-") as tmp:
            done = subprocess.run([helm, "pull", name, "--repo", repo, "--version", str(entry["version"]), "-d", tmp],
                                  capture_output=True, text=True, env={**os.environ, "HELM_CACHE_HOME": tmp,
                                                                       "HELM_CONFIG_HOME": tmp, "HELM_DATA_HOME": tmp})
            archives = list(Path(tmp).glob("*.tgz"))
            if done.returncode == 0 and archives:
                return archives[0].read_bytes()
    return _fetch(urllib.parse.urljoin(repo.rstrip("/") + "/", urls[0]))


def _unpack(archive: bytes, target: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            path = (target / member.name).resolve()
            if not path.is_relative_to(target.resolve()) or not (member.isfile() or member.isdir()):
                raise UsageError(f"the chart archive holds {member.name!r}, which is not a plain file inside the chart")
        tar.extractall(target, filter="data")


def pull(chart_map: ChartMap, repo: str | None = None) -> Path:
    """Fetch the chart of a built-in map into the cache; the chart directory."""
    repo = repo or default_repository()
    from ruamel.yaml import YAML

    index = YAML(typ="safe", pure=True).load(_fetch(repo.rstrip("/") + "/index.yaml").decode("utf-8"))
    if not isinstance(index, dict):
        raise UsageError(f"{repo}/index.yaml is not a chart repository index")
    entry = pick_entry(index, chart_map)
    archive = _archive(repo, entry, chart_map.name or chart_map.id)
    digest = hashlib.sha256(archive).hexdigest()
    if entry.get("digest") and digest != entry["digest"]:
        raise UsageError(f"{chart_map.name} {entry.get('version')}: the archive's sha256 is {digest}, "
                         f"the index says {entry['digest']}; nothing cached")
    slot = cache_slot(chart_map.id)
    slot.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pull-", dir=slot.parent) as tmp:
        staging = Path(tmp) / "chart"
        staging.mkdir()
        _unpack(archive, staging)
        if not list(staging.glob("*/Chart.yaml")):
            raise UsageError(f"the archive of {chart_map.name} {entry.get('version')} holds no chart")
        if slot.exists():
            shutil.rmtree(slot)
        staging.rename(slot)
    pulled = cached_chart(chart_map.id)
    assert pulled is not None, "a chart unpacked into its slot is found there"
    return pulled
