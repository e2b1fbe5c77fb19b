"""API-M version strings: `4.6` and `4.6.0` name the same version."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


class VersionError(ValueError):
    pass


def normalise_version(text: str) -> str:
    m = _VERSION.match(str(text).strip())
    if not m:
        raise VersionError(f"not an API-M version: {text!r} (expected a version such as 4.6.0 or 4.6)")
    major, minor, patch = m.groups()
    return f"{int(major)}.{int(minor)}.{int(patch or 0)}"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in normalise_version(version).split("."))
