"""SPARQL text, read token by token: what is a keyword, and where a query's WHERE group opens.

Used to bind parameters (``bind_values``) and, by the API, to check a query before it runs. The
tokens are those of the SPARQL grammar that can hide other text: comments, strings, IRIs,
variables, language tags and names (with their escapes); everything else is punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00b7-\uffff]+)
    | (?P<langtag>@[A-Za-z][A-Za-z0-9-]*)
    | (?P<word>(?:[A-Za-z_\u00c0-\uffff][\w.\-\u00b7-\uffff]*)?:(?:[\w.\-:%\u00b7-\uffff]|\\[_~.\-!$&'()*+,;=/?\#@%])*
              |[A-Za-z_\u00c0-\uffff][\w.\-\u00b7-\uffff]*)
    """,
    re.VERBOSE | re.DOTALL,
)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def unescape(text: str) -> str:
    """SPARQL replaces \\uXXXX and \\UXXXXXXXX everywhere before parsing; so do the checks here."""
    return _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of every token but comments, after unescaping."""
    return [
        (m.lastgroup, m.group())
        for m in TOKEN.finditer(unescape(text))
        if m.lastgroup not in ("comment", None)
    ]


def _group_start(query: str) -> int:
    """The offset just after the ``{`` that opens the WHERE group (or the first group)."""
    after = 0
    for m in TOKEN.finditer(query):
        if m.lastgroup == "word" and m.group().upper() == "WHERE":
            after = m.end()
            break
    covered = [(m.start(), m.end()) for m in TOKEN.finditer(query, after) if m.lastgroup != "word"]
    position = after
    while True:
        position = query.index("{", position)
        if not any(start <= position < end for start, end in covered):
            return position + 1
        position += 1


def bind_values(query: str, bindings: Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]) -> str:
    """The query with its parameters bound by a VALUES block opening its WHERE group.

    The values are RDF terms written by pyoxigraph itself (IRIs are validated, literals escaped),
    never text pasted in.
    """
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(str(term) for term in bindings.values())
    at = _group_start(query)
    return f"{query[:at]} VALUES ({names}) {{ ({values}) }}{query[at:]}"
