"""YAML text -> ruamel.yaml node tree, as fast as the installed ruamel.yaml allows.

The strict loader walks *nodes* (scalars as written, lines, duplicate keys). ruamel.yaml's
round-trip composer is pure Python and gathers comments the loader never reads: a
1,000-service registry took about a third of a second. With ruamel.yaml.clib (libyaml in C)
the same nodes come out an order of magnitude faster, so that is the path taken whenever
it gives the same answer:

- the C parser cannot see a ``%YAML 1.1`` directive, so a text with any directive goes
  through the round-trip composer, which honours it;
- libyaml reads YAML 1.1 *syntax* (``[3791, 1:30]`` is an error there, a scalar for the
  round-trip composer): a text it rejects is composed again by the round-trip composer,
  whose answer (or error) stands;
- the C parser marks a plain scalar with style ``''`` where the round-trip composer says
  ``None``; the loader tells quoted from plain by style, so plain becomes ``None`` here;
- an empty value (``description:``) is marked on its key's line by libyaml, on the next
  token's line by the round-trip composer: the error then names the line of the key.

Without ruamel.yaml.clib (an interpreter it has no wheel for) every text takes the
round-trip path. Errors are ruamel.yaml's ``MarkedYAMLError`` on both paths.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

try:
    from _ruamel_yaml import CParser
except ImportError:  # ruamel.yaml.clib is not installed: the pure-Python composer only
    CParser = None

_DIRECTIVE = re.compile(r"^%", re.MULTILINE)


class _Yaml12Resolver(VersionedResolver):
    """The YAML 1.2 resolver of the round-trip loader, with its table looked up once.

    ``VersionedResolver`` finds the version of the document being read by trying attributes
    the C parser does not have, several times per scalar (two exceptions each); without a
    directive (the only case sent to the C parser) it is always YAML 1.2. Each implicit tag
    is one shared ``Tag``: a tag decodes its URI on first use, once instead of per node.
    """

    _shared_tags: dict[str, Tag] = {}

    @property
    def processing_version(self) -> Any:
        return self._loader_version or (1, 2)

    @property
    def versioned_resolver(self) -> Any:
        try:
            return self._table
        except AttributeError:
            self._table = VersionedResolver.versioned_resolver.fget(self)
            return self._table

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if not isinstance(tag, Tag) or tag.handle is not None:
            return tag
        return self._shared_tags.setdefault(tag.suffix, tag)


def _plain_style_is_none(root: Node) -> None:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ScalarNode):
            if not node.style:
                node.style = None
        elif id(node) not in seen:     # an alias is the same node object again
            seen.add(id(node))
            if isinstance(node, MappingNode):
                for pair in node.value:
                    stack.extend(pair)
            else:
                stack.extend(node.value)


def _compose_c(text: str) -> Node | None:
    yaml = YAML(typ="safe")
    yaml.Resolver = _Yaml12Resolver
    root = yaml.compose(text)
    if root is not None:
        _plain_style_is_none(root)
    return root


def _compose_round_trip(text: str) -> Node | None:
    return YAML(typ="rt").compose(text)


def events(text: str) -> Iterator[Any]:
    """The parser's events for ``text`` (C parser when it reads the text, as ``compose``)."""
    if CParser is not None and not _DIRECTIVE.search(text):
        try:
            return iter(list(YAML(typ="safe").parse(text)))
        except MarkedYAMLError:
            pass
    return YAML(typ="rt").parse(text)


def compose(text: str, *, round_trip: bool = False) -> Node | None:
    """The node tree of the first document (None for an empty text). Raises MarkedYAMLError.

    ``round_trip`` forces the round-trip composer, which keeps each node's anchor (the C
    parser's nodes do not say they had one): the loader refuses anchors by node, with a key.
    """
    if not round_trip and CParser is not None and not _DIRECTIVE.search(text):
        try:
            return _compose_c(text)
        except MarkedYAMLError:   # libyaml reads YAML 1.1 syntax: `[3791, 1:30]` is an error there
            pass
    return _compose_round_trip(text)
