"""The fast composer gives the node tree the round-trip composer gives (what the loader reads)."""
from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode

from portmanager_gui.core.registry import compose as compose_mod
from portmanager_gui.core.registry.compose import compose


def facts(node):
    """What the strict loader looks at: kind, tag, scalar text, quoted or plain, line."""
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        # An empty value: libyaml marks the line of its key, the round trip the next token's.
        line = None if node.value == "" and node.style is None else node.start_mark.line
        return ("scalar", node.tag, node.value, node.style, line)
    if isinstance(node, MappingNode):
        return ("map", node.tag, node.start_mark.line, [(facts(k), facts(v)) for k, v in node.value])
    return ("seq", node.tag, node.start_mark.line, [facts(v) for v in node.value])


TEXTS = [
    "version: 1\nservices:\n  router:\n    ports: [3791, 3003]\n    command: [\"{python}\", app.py]\n",
    "a: 08100\nb: '3791'\nc: \"3791\"\nd: yes\ne: 0700\nf: 1.5\ng: ~\nh: true\ni: 0o17\nj: 0x1F\nk: ''\nl:\n",
    "a: 1\na: 2\n",                                  # duplicate keys are kept for the loader to name
    "x: &p 3791\ny: *p\nz: [*p, *p]\n",             # aliases
    "a: !!str 3791\nb: !custom x\n",                 # explicit tags
    "ports: [3791, 1:30]\n",                         # libyaml rejects this syntax; the round trip reads it
    "%YAML 1.1\n---\nexpose: yes\nport: 0700\n",     # a directive: YAML 1.1 resolution
    "",
    "# only a comment\n",
    "a: |\n  text\nb: >\n  folded\n",
    "a:\n- x: 1\n  y: [a, {b: c, d: [e, 'f']}]\n- !!map {q: 1}\n- []\n- {}\n- ? k\n  : v\n",   # nesting, both styles
    "--- \na: 1\n...\n",                             # explicit document markers
    "- &a [1, 2]\n- *a\n",                             # an anchored collection
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_nodes_as_the_round_trip_composer(text):
    assert facts(compose(text)) == facts(YAML(typ="rt").compose(text))


@pytest.mark.parametrize("text", ["a: [1, 2\nb: 3\n", "a: b: c\n", "\tx: 1\n", "a: 1\n---\nb: 2\n"])
def test_bad_yaml_raises_the_round_trip_error(text):
    with pytest.raises(MarkedYAMLError) as fast:
        compose(text)
    with pytest.raises(MarkedYAMLError) as rt:
        YAML(typ="rt").compose(text)
    assert (fast.value.problem, fast.value.problem_mark.line) == (rt.value.problem, rt.value.problem_mark.line)


@pytest.mark.skipif(compose_mod.CParser is None, reason="ruamel.yaml.clib is not installed")
def test_the_c_parser_does_the_work(monkeypatch):
    """Without a directive or an error, the slow round-trip composer is not used at all."""
    text = TEXTS[0] * 1 + "".join(f"  s{i}:\n    ports: [{20000 + i}]\n" for i in range(50))
    expected = facts(YAML(typ="rt").compose(text))

    def refuse(_text):
        raise AssertionError("the round-trip composer was used")
    monkeypatch.setattr(compose_mod, "_compose_round_trip", refuse)
    assert facts(compose(text)) == expected


@pytest.mark.skipif(compose_mod.CParser is None, reason="ruamel.yaml.clib is not installed")
def test_an_empty_value_is_reported_on_its_own_line(tmp_path):
    from portmanager_gui.core.registry.load import RegistryError, parse

    with pytest.raises(RegistryError) as err:
        parse("services:\n  router:\n    ports: [3791]\n    description:\n  other:\n    ports: [3003]\n", "r.yaml")
    assert (err.value.line, err.value.key) == (4, "services.router.description")


@pytest.mark.parametrize("text", [
    "a: " + "[" * 40 + "]" * 40 + "\n",                        # the C path
    "%YAML 1.1\n---\na: " + "[" * 40 + "]" * 40 + "\n",      # a directive: the round-trip path
    "b: [1:30]\na: " + "[" * 40 + "]" * 40 + "\n",            # libyaml rejects it: the round-trip path
    "x: &p 1\na: " + "[" * 40 + "]" * 40 + "\n",              # an anchor: the round-trip composer
])
def test_nesting_deeper_than_allowed_is_refused_with_its_line_on_every_path(text):
    with pytest.raises(compose_mod.TooDeep) as err:
        compose(text, max_depth=32)
    assert err.value.line == text.count("\n", 0, text.index("[[")) + 1
    assert compose(text, max_depth=41) is not None


DIGITS = ["0", "00", "0700", "08100", "1", "3791", "65535", "65536", "99999999999999999999", "0000000001",
          "1_000", "+1", "-1", "1e3", "1.0", "0x1F", "0o17", "1:30", "١٢٣", "²"]


@pytest.mark.skipif(compose_mod.CParser is None, reason="ruamel.yaml.clib is not installed")
def test_decimal_numbers_get_the_resolvers_tag_without_asking_it_each(monkeypatch):
    """A 1,000-service registry has 2,000 distinct port numbers: a plain scalar of ASCII
    digits is an int in YAML 1.2 (``[-+]?[0-9]+``), so the resolver is asked once, not per
    number. Every other shape still gets what the resolver says."""
    text = "n: [" + ", ".join(DIGITS) + "]\nports: [" + ", ".join(str(20000 + i) for i in range(200)) + "]\n"
    expected = facts(YAML(typ="rt").compose(text))
    asked = []
    real = compose_mod._Yaml12Resolver.resolve

    def counting(self, kind, value, implicit):
        asked.append(value)
        return real(self, kind, value, implicit)
    monkeypatch.setattr(compose_mod._Yaml12Resolver, "resolve", counting)
    assert facts(compose(text)) == expected
    assert not {v for v in asked if v and v.isascii() and v.isdigit()} - {"0"}
