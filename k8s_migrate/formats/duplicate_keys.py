"""Duplicate mapping keys as Helm reads them: accepted, and the last one wins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

if TYPE_CHECKING:  # render reads values through here, and needs nothing else of the hub
    from ..hub import KeyPath

Duplicate = tuple["KeyPath", list[int]]  # the key's path and the 1-based lines that give it, in order


def drop_earlier_duplicates(node: Node, path: KeyPath = (), seen: set[int] | None = None) -> list[Duplicate]:
    """Remove all but the last of each repeated key from a composed document, and say which were there."""
    seen = set() if seen is None else seen
    if id(node) in seen:  # an alias points back at a node already walked
        return []
    seen.add(id(node))
    found: list[Duplicate] = []
    if isinstance(node, MappingNode):
        positions: dict[Any, list[int]] = {}
        for i, (key_node, _) in enumerate(node.value):
            if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                positions.setdefault(key_node.value, []).append(i)
        repeated = {k: v for k, v in positions.items() if len(v) > 1}
        if repeated:
            found += [((*path, k), [node.value[i][0].start_mark.line + 1 for i in v]) for k, v in repeated.items()]
            dropped = {i for v in repeated.values() for i in v[:-1]}
            node.value = [pair for i, pair in enumerate(node.value) if i not in dropped]
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            found += drop_earlier_duplicates(value_node, (*path, key), seen)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            found += drop_earlier_duplicates(item, (*path, i), seen)
    return found


def load_documents(yaml: Any, text: str) -> tuple[list[Any], list[Duplicate]]:
    """Every document of `text`, loaded with `yaml` (any ruamel type) as Helm would: the last key wins."""
    duplicates: list[Duplicate] = []
    documents: list[Any] = []
    for node in yaml.compose_all(text):
        if node is None:
            documents.append(None)
            continue
        duplicates += drop_earlier_duplicates(node)
        documents.append(yaml.constructor.construct_document(node))
    return documents, duplicates
