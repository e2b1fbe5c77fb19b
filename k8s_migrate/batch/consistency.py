"""Cross-file checks over a migrated fleet, reported as ``review`` entries.

- the shared databases have the same URL in every file;
- peer URLs (event hub, key manager, traffic manager) point at hosts some file of the fleet defines;
- gateways' ``gateway_labels`` name gateway environments some file defines.

Which keys play which part is data: ``fleet_checks`` in mappings/profiles.json.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Iterator

from ..counting import counted
from ..hub import KeyPath, KeyPathError, matches, parse_key
from ..profiles import profile_data, profile_in_notes
from ..report import Entry, Report

SOURCE = "k8s-migrate fleet check (fleet_checks in mappings/profiles.json)"
_URL_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9_.-]+)")


@dataclass
class FileFacts:
    """What the checks need of one migrated file: only the keys fleet_checks names, each with the pattern it
    matches. A fleet's parent keeps one per file to the end, so they are small: flat triples, the pattern
    and key texts interned (the same few texts recur in every file)."""

    file: str
    profile: str
    keys: tuple[tuple[str, str, Any], ...]  # (fleet_checks key pattern, key text, value) of the migrated file

    def values(self, pattern: str) -> Iterator[tuple[str, Any]]:
        """(key text, value) of each key of the file under one fleet_checks pattern."""
        return ((text, value) for matched, text, value in self.keys if matched == pattern)

    def __setstate__(self, state: dict[str, Any]) -> None:  # from a worker: the texts interned here as well
        state["keys"] = tuple((sys.intern(p), sys.intern(t), v) for p, t, v in state["keys"])
        state["profile"] = sys.intern(state["profile"])
        self.__dict__.update(state)


def facts_of(report: Report) -> FileFacts:
    """A file's facts (a fleet of a thousand files must not keep a thousand reports around for this; the worker
    sorts the keys under their patterns, so that the parent's checks only compare)."""
    keys: list[tuple[str, str, Any]] = []
    for e in report.entries:
        text = e.new_key or e.old_key
        if not text or e.action == "removed":
            continue
        path = parsed(text)
        if path is None:
            continue
        for pattern, pattern_path in fact_patterns():
            if matches(pattern_path, path):
                keys.append((pattern, sys.intern(text), e.new_value if e.new_value is not None else e.old_value))
    return FileFacts(report.input, sys.intern(profile_in_notes(report.notes) or "?"), tuple(keys))


@lru_cache(maxsize=1)
def fact_patterns() -> tuple[tuple[str, KeyPath], ...]:
    checks = profile_data()["fleet_checks"]
    texts = [*checks["host_keys"], checks["database_urls"], *checks["peer_urls"],
             checks["gateway_environment_names"], checks["gateway_labels"]]
    return tuple((t, parse_key(t)) for t in dict.fromkeys(texts))


@lru_cache(maxsize=4096)
def parsed(text: str) -> KeyPath | None:
    """A report's key text as a path (files of a fleet repeat the same keys); None when it does not parse."""
    try:
        return parse_key(text)
    except KeyPathError:
        return None


def hosts_in(value: Any) -> set[str]:
    texts = value if isinstance(value, list) else [value]
    return {h.lower() for t in texts if isinstance(t, str) for h in _URL_HOST.findall(t) if "." in h or h.isalpha()}


def defined_hosts(fleet: list[FileFacts], known_hosts: Iterable[str]) -> set[str]:
    host_keys = set(profile_data()["fleet_checks"]["host_keys"])
    hosts = {h.lower() for h in known_hosts}
    for facts in fleet:
        for pattern, _, value in facts.keys:
            if pattern in host_keys:
                hosts |= hosts_in(value)
                if pattern == "server.hostname" and isinstance(value, str) and "$" not in value:
                    hosts.add(value.lower())
    return hosts


def check_databases(fleet: list[FileFacts]) -> list[Entry]:
    checks = profile_data()["fleet_checks"]
    by_db: dict[str, list[tuple[FileFacts, str, Any]]] = defaultdict(list)
    for facts in fleet:
        for text, value in facts.values(checks["database_urls"]):
            path = parsed(text)
            db = path[1] if path is not None else None
            if isinstance(db, str) and db in checks["shared_databases"]:
                by_db[db].append((facts, text, value))
    out = []
    for db, found in by_db.items():
        urls = [str(v) for _, _, v in found]
        counts = Counter(urls)
        if len(counts) < 2:
            continue
        usual = counts.most_common(1)[0][0]
        differs = f"{db} differs across the fleet ({counted(len(counts), 'URL')} in {counted(len(found), 'file')})"
        uses = f"{counted(counts[usual], 'file')} use{'s' if counts[usual] == 1 else ''} {usual}"
        for (facts, text, value), url in zip(found, urls, strict=True):
            if url != usual:
                out.append(review(facts, text, value, "fleet-database-url",
                                  f"{differs}: this {facts.profile} file has its own; {uses}"))
    return out


def check_peer_urls(fleet: list[FileFacts], hosts: set[str]) -> list[Entry]:
    peers = profile_data()["fleet_checks"]["peer_urls"]
    order = {key: i for i, key in enumerate(peers)}
    out = []
    for facts in fleet:
        found = sorted(((p, t, v) for p, t, v in facts.keys if p in order), key=lambda f: order[f[0]])
        for key, text, value in found:  # by peer key as fleet_checks lists them, each key's in the file's order
            for host in sorted(hosts_in(value) - hosts):
                out.append(review(facts, text, value, "fleet-peer-host",
                                  f"this {facts.profile} file's {peers[key]} URL points at host {host!r}, which no "
                                  "file in the fleet defines (server.hostname, gateway endpoints, event hub "
                                  "URLs, or known_hosts in the manifest)"))
    return out


def check_gateway_labels(fleet: list[FileFacts]) -> list[Entry]:
    checks = profile_data()["fleet_checks"]
    names = {str(v) for f in fleet for _, v in f.values(checks["gateway_environment_names"])}
    out = []
    for facts in fleet:
        for text, value in facts.values(checks["gateway_labels"]):
            labels = value if isinstance(value, list) else [value]
            missing = [str(label) for label in labels if str(label) not in names]
            if missing and names:
                out.append(review(facts, text, value, "fleet-gateway-label",
                                  f"gateway label(s) {', '.join(missing)} match no gateway environment of the "
                                  f"fleet ({', '.join(sorted(names))}); this gateway will get no APIs for them"))
    return out


def review(facts: FileFacts, key: str, value: Any, rule: str, message: str) -> Entry:
    return Entry("review", key, key, value, value, rule=rule, source=SOURCE, message=message, file=facts.file,
                 confidence="medium")


def check_fleet_facts(fleet: list[FileFacts], known_hosts: Iterable[str] = ()) -> list[Entry]:
    """Each check reads every file's facts in one pass (they come at the end of a run, beside every result)."""
    hosts = defined_hosts(fleet, known_hosts)
    return [*check_databases(fleet), *check_peer_urls(fleet, hosts), *check_gateway_labels(fleet)]
