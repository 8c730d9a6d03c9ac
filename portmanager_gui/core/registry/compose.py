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

The C path reads the text once: the nodes are built here from the C parser's events (as
ruamel.yaml's composer builds them), counting the nesting on the way, so a text nested too
deep is refused (``TooDeep``) before anything recursive runs and without a second parse. A
text with an anchor or alias goes through the round-trip composer, whose nodes keep their
anchor (the C parser's nodes do not say they had one): the loader refuses anchors by node.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import ComposerError
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
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
    directive (the only case sent to the C parser) it is always YAML 1.2.
    """

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


class _Scalar(ScalarNode):
    """A ``ScalarNode`` whose ``tag`` is a plain attribute: ruamel.yaml's is a property that
    formats the node's ``Tag`` at every read, and the loader reads each tag several times."""

    __slots__ = ("tag",)


class _Mapping(MappingNode):
    __slots__ = ("tag",)


class _Sequence(SequenceNode):
    __slots__ = ("tag",)


class TooDeep(Exception):
    """Nesting deeper than the caller allows, found at ``line`` (1-based) before composing."""

    def __init__(self, line: int):
        super().__init__(f"nested too deep at line {line}")
        self.line = line


_ANCHORED = object()


def _compose_events(parser: Any, max_depth: int | None) -> Any:
    """The node tree from the C parser's events; ``_ANCHORED`` when the text has an anchor or
    an alias (its events are still read to the end, for the depth and for syntax errors).

    Tags are the resolver's, asked once per distinct plain scalar; a plain scalar whose first
    character starts no implicit tag (``svc7``, ``app.py``) is a string without asking, and a
    quoted one always is (the resolver's own rules, looked up once); nor is a number of
    ASCII digits (an int: the answer for ``0``). Nodes with the same tag
    share one ``Tag``: a node's ``tag`` decodes its Tag's URI on first use, once per Tag.
    """
    resolver = _Yaml12Resolver()
    implicit_starts = set(resolver.versioned_resolver)
    shared: dict[str, Tag] = {}

    def one_tag(text: str) -> Tag:
        tag = shared.get(text)
        if tag is None:
            tag = shared[text] = Tag(suffix=text)
        return tag

    def resolved(kind: type, value: Any, implicit: Any) -> Tag:
        tag = resolver.resolve(kind, value, implicit)     # a new Tag each time: share one per text
        return one_tag(tag.suffix if isinstance(tag, Tag) and tag.handle is None else str(tag))

    str_tag = resolved(ScalarNode, "", (False, True))
    # ASCII digits are an int in YAML 1.2 (``[-+]?[0-9]+``): one question for 2,000 ports
    int_tag = resolved(ScalarNode, "0", (True, False))
    plain_tags: dict[str, Tag] = {}
    collection_tags: dict[Any, Tag] = {}
    get = parser.get_event
    get()                                       # STREAM-START
    event = get()
    if type(event) is StreamEndEvent:
        return None
    root: Any = None
    anchored = False
    stack: list[list[Any]] = []                 # [collection node, is a mapping, pending key]
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None:
                anchored = True
            tag = event.tag
            value = event.value
            if tag is not None and tag != "!":
                tag = one_tag(tag)
            elif not event.implicit[0] or value[:1] not in implicit_starts:
                tag = str_tag
            elif value.isdigit() and value.isascii():
                tag = int_tag
            else:
                tag = plain_tags.get(value)
                if tag is None:
                    tag = plain_tags[value] = resolved(ScalarNode, value, event.implicit)
            node: Any = _Scalar(tag, value, event.start_mark, event.end_mark, style=event.style or None)
            node.tag = tag.trval
            opened = None
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if max_depth is not None and len(stack) >= max_depth:
                raise TooDeep(event.start_mark.line + 1)
            if event.anchor is not None:
                anchored = True
            mapping = kind is MappingStartEvent
            tag = event.tag
            if tag is not None and tag != "!":
                tag = one_tag(tag)
            else:
                key = (mapping, event.implicit)
                tag = collection_tags.get(key)
                if tag is None:
                    tag = collection_tags[key] = resolved(MappingNode if mapping else SequenceNode, None,
                                                          event.implicit)
            node = opened = (_Mapping if mapping else _Sequence)(tag, [], event.start_mark, None,
                                                                 flow_style=event.flow_style)
            node.tag = tag.trval
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()[0].end_mark = event.end_mark
            continue
        elif kind is AliasEvent:
            anchored = True
            node = opened = None
        elif kind is DocumentEndEvent:
            break
        else:
            continue
        if not stack:
            root = node
        else:
            top = stack[-1]
            if not top[1]:
                top[0].value.append(node)
            elif top[2] is None:
                top[2] = node
            else:
                top[0].value.append((top[2], node))
                top[2] = None
        if opened is not None:
            stack.append([opened, type(opened) is _Mapping, None])
    event = get()
    if type(event) is not StreamEndEvent:
        raise ComposerError("expected a single document in the stream", root.start_mark if root else None,
                            "but found another document", event.start_mark)
    return _ANCHORED if anchored else root


def _check_depth(events: Iterator[Any], max_depth: int) -> None:
    depth = 0
    for event in events:
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise TooDeep(event.start_mark.line + 1)
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            depth -= 1


def _compose_round_trip(text: str) -> Node | None:
    return YAML(typ="rt").compose(text)


def compose(text: str, max_depth: int | None = None) -> Node | None:
    """The node tree of the first document (None for an empty text). Raises MarkedYAMLError,
    and ``TooDeep`` for collections nested more than ``max_depth`` deep (checked before
    any recursive composer runs)."""
    if CParser is not None and not _DIRECTIVE.search(text):
        try:
            root = _compose_events(CParser(text), max_depth)
        except MarkedYAMLError:   # libyaml reads YAML 1.1 syntax: `[3791, 1:30]` is an error there
            pass
        else:
            if root is not _ANCHORED:
                return root
            return _compose_round_trip(text)   # the depth was checked on the way
    if max_depth is not None:
        _check_depth(YAML(typ="rt").parse(text), max_depth)
    return _compose_round_trip(text)
