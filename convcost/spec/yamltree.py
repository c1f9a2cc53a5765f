"""Hardened YAML: a lean node tree built from parser events, bounded before it grows.

PyYAML's composer keeps two ``Mark`` objects and a ``__dict__`` per node, about 300 bytes, so a
16 MiB file of flow scalars (``[1,1,1,...]``) composed into some 8 million nodes and 2.5 GB
before the loader could say anything. This composer reads the parser's events (libyaml's when
PyYAML has it, so an ``&`` anywhere never switches to the pure-Python composer) and keeps, per
node, only what the loader uses: the resolved tag, the value, the scalar style and the line.
It refuses, as the events arrive and before anything is built from them:

- anchors and aliases (``&a``, ``*a``: a few lines can stand for billions of nodes),
- explicit tags other than YAML's plain-data ones (``!!python/object``, ``!include``),
- more than ``limits.MAX_NODES`` nodes or ``limits.MAX_NESTING`` levels of nesting,
- a second document.

So the memory of any accepted text is bounded by ``limits.MAX_NODES`` lean nodes (docs/spec.md,
Limits, gives the measured worst case; benchmarks/bench_limits.py reproduces it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.resolver import Resolver

from convcost import limits
from convcost.errors import ConvcostError

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MERGE = "tag:yaml.org,2002:merge"
VALUE = "tag:yaml.org,2002:value"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"

# Tags a spec may write explicitly (``!!int 3``): YAML's plain data, each on its own node kind.
_SCALAR_TAGS = frozenset((STR, INT, FLOAT, BOOL, NULL))


class Scalar:
    """A scalar: its resolved tag, its text, its style (``'``, ``"`` or None) and its line."""

    __slots__ = ("explicit", "line", "style", "tag", "value")

    def __init__(self, tag: str, value: str, style: str | None, line: int, explicit: bool) -> None:
        self.tag = tag
        self.value = value
        self.style = style
        self.line = line  # 1-based
        self.explicit = explicit  # the tag was written (``!!int 3``), not resolved


class Sequence:
    """A list of nodes, with its line."""

    __slots__ = ("line", "value")

    def __init__(self, line: int) -> None:
        self.value: list[Node] = []
        self.line = line


class Mapping:
    """Key-value pairs in the order written (duplicates kept: the loader reports them)."""

    __slots__ = ("line", "value")

    def __init__(self, line: int) -> None:
        self.value: list[tuple[Node, Node]] = []
        self.line = line


Node = Scalar | Sequence | Mapping


# The tags whose text PyYAML's safe constructors turn into a value (the rest stay text).
CONSTRUCTED = frozenset((INT, FLOAT, BOOL))
_CONSTRUCTOR = yaml.SafeLoader("")
_CONSTRUCT = {
    INT: yaml.SafeLoader.construct_yaml_int,
    FLOAT: yaml.SafeLoader.construct_yaml_float,
    BOOL: yaml.SafeLoader.construct_yaml_bool,
}


def construct(tag: str, text: str) -> Any:
    """The value YAML 1.1's safe loader makes of a plain scalar tagged ``tag`` (one of
    ``CONSTRUCTED``); whatever PyYAML raises on text that does not fit the tag passes through."""
    return _CONSTRUCT[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, text))


def shown_tag(tag: str) -> str:
    """``tag:yaml.org,2002:int`` as written: ``!!int``."""
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


def compose(text: str) -> Node | None:
    """The node tree of the one YAML document in ``text`` (None when it holds none).

    Raises :class:`ConvcostError` with the line for what a spec may not contain and for
    syntax errors.
    """
    try:
        return _Composer().run(_events(text, fast=True))
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(text, error) from None
    except yaml.YAMLError as error:
        raise ConvcostError(f"YAML error: {error}") from None


# A syntax error found by libyaml is worded again by the pure-Python parser, whose messages
# name the character (found character '\t' ...); it re-reads the text up to the error, so only
# when that is short (the pure-Python scanner reads about 1 MB a second, and far slower inside
# deeply nested flow lists, where each token rechecks every level), and never for nesting.
_REWORD_BYTES = 2**16


def _syntax_error(text: str, error: yaml.MarkedYAMLError) -> ConvcostError:
    mark = error.problem_mark or error.context_mark
    nesting = "nesting depth" in str(error.problem)
    if mark is not None and yaml.__with_libyaml__ and not nesting:
        end = mark.index
        for _ in range(3):  # the pure-Python scanner may look a line or two further ahead
            end = text.find("\n", end + 1)
            if end < 0:
                end = len(text)
                break
        if end <= _REWORD_BYTES:
            try:
                for _ in _events(text[:end], fast=False):
                    pass
            except yaml.MarkedYAMLError as again:
                again_mark = again.problem_mark or again.context_mark
                if again_mark is not None and again_mark.line == mark.line:
                    error, mark = again, again_mark
    line = mark.line + 1 if mark is not None else None
    problem = error.problem or error.context or "invalid YAML"
    if nesting:
        return ConvcostError("YAML nested too deeply", line=line)
    column = f" (column {mark.column + 1})" if mark is not None else ""
    return ConvcostError(f"YAML syntax error: {problem}{column}", line=line)


def _events(text: str, *, fast: bool) -> Iterator[Any]:
    parser = yaml.CSafeLoader if fast and yaml.__with_libyaml__ else yaml.SafeLoader
    loader = parser(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


class _Composer:
    def __init__(self) -> None:
        self.resolve = Resolver().resolve
        self.nodes = 0
        self.documents = 0

    def run(self, events: Iterator[Any]) -> Node | None:
        root: Node | None = None
        # Open lists and mappings; a mapping collects keys and values in turn until its end.
        stack: list[tuple[Sequence | Mapping, list[Node]]] = []
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent:
                node: Node = self.scalar(event, len(stack))
            elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                node = self.collection(event, kind, len(stack))
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                done, items = stack.pop()
                if isinstance(done, Mapping):
                    done.value = list(zip(items[::2], items[1::2], strict=True))
                if not stack:
                    root = done
                continue
            elif kind is yaml.AliasEvent:
                raise ConvcostError(
                    "aliases (*name) are not allowed in a spec; use 'defaults' or 'n' to repeat",
                    line=event.start_mark.line + 1,
                )
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise ConvcostError(
                        "a spec is one YAML document, but a second one starts here",
                        line=event.start_mark.line + 1,
                    )
                continue
            else:
                continue  # stream and document ends
            if stack:
                stack[-1][1].append(node)
            elif isinstance(node, Scalar):
                root = node
            if isinstance(node, Sequence):
                stack.append((node, node.value))
            elif isinstance(node, Mapping):
                stack.append((node, []))
        return root

    def count(self, event: Any, depth: int) -> int:
        """The node's line, once it is known to be within the limits."""
        line: int = event.start_mark.line + 1
        if event.anchor is not None:
            raise ConvcostError(
                f"anchors (&{event.anchor}) are not allowed in a spec; use 'defaults' or 'n' "
                "to repeat",
                line=line,
            )
        self.nodes += 1
        if self.nodes > limits.MAX_NODES:
            raise ConvcostError(
                f"the spec holds more than {limits.MAX_NODES:,} YAML values, lists and mappings",
                line=line,
            )
        if depth >= limits.MAX_NESTING:
            raise ConvcostError("YAML nested too deeply", line=line)
        return line

    def scalar(self, event: Any, depth: int) -> Scalar:
        line = self.count(event, depth)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
            return Scalar(tag, event.value, event.style, line, False)
        if tag not in _SCALAR_TAGS:
            raise _tag_error(tag, line)
        return Scalar(tag, event.value, event.style, line, True)

    def collection(self, event: Any, kind: type, depth: int) -> Sequence | Mapping:
        line = self.count(event, depth)
        tag = event.tag
        sequence = kind is yaml.SequenceStartEvent
        if tag is not None and tag != "!" and tag != (_SEQ if sequence else _MAP):
            raise _tag_error(tag, line)
        return Sequence(line) if sequence else Mapping(line)


def _tag_error(tag: str, line: int) -> ConvcostError:
    return ConvcostError(
        f"YAML tags such as '{shown_tag(tag)}' are not allowed in a spec", line=line
    )
