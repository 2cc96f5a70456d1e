"""SPARQL text, read token by token: what is a keyword, and where a query's WHERE group opens.

Used to bind parameters (``bind_values``) and, by the API, to check a query before it runs. The
tokens are those of the SPARQL grammar that can hide other text: comments, strings, IRIs,
variables, language tags and names (with their escapes); everything else is punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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


def nesting(text: str) -> int:
    """How deep the query's groups, lists and brackets nest (``{``, ``(``, ``[`` outside strings,
    IRIs and comments).

    >>> nesting('SELECT * { ?s ?p "{{{" { FILTER((1)) } }')
    4
    """
    deepest = depth = 0
    unescaped = unescape(text)
    ends = [(m.start(), m.end()) for m in TOKEN.finditer(unescaped)] + [(len(unescaped), len(unescaped))]
    position = 0
    for start, end in ends:  # the punctuation lies between the tokens
        for char in unescaped[position:start]:
            if char in "{([":
                depth += 1
                deepest = max(deepest, depth)
            elif char in "})]":
                depth -= 1
        position = end
    return deepest


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


_ROWS_MARKER = re.compile(
    r"^[ \t]*#[ \t]*values[ \t]*\((?P<names>(?:[ \t]*\?\w+)+)[ \t]*\)[ \t]*$", re.MULTILINE
)


def bind_rows(query: str, rows: Sequence[Sequence[ox.NamedNode | ox.Literal | None]]) -> str:
    """The query with ``rows`` bound at its first ``# values (?a ?b)`` marker line, as a VALUES
    block (None: UNDEF). Call once per marker, in order.

    Like ``bind_values``, the terms are written by pyoxigraph itself, never text pasted in. A query
    whose marker is left unbound reads as a comment: it then asks about every row.
    """
    marker = _ROWS_MARKER.search(query)
    if marker is None:
        raise ValueError("the query has no '# values (?…)' marker left")
    names = marker["names"].split()
    if any(len(row) != len(names) for row in rows):
        raise ValueError(f"every row needs {len(names)} terms ({' '.join(names)})")
    body = " ".join("(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows)
    return f"{query[: marker.start()]}  VALUES ({' '.join(names)}) {{ {body} }}{query[marker.end() :]}"


def bind_inline(query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with each bound variable of its WHERE clause written as its term.

    For queries whose plans depend on knowing a graph name or key as a constant (Oxigraph plans a
    substituted or VALUES-bound variable as unknown). The terms are written by pyoxigraph itself;
    only variable tokens change, never strings, IRIs or comments. Projected variables stay in the
    SELECT clause, unbound in the answers.
    """
    start = _group_start(query)
    end = _group_end(query, start)  # GROUP BY, ORDER BY … keep their variables (unbound there)
    out, last = [query[:start]], start
    for m in TOKEN.finditer(query[:end], start):
        if m.lastgroup == "var" and m.group()[1:] in bindings:
            out += [query[last : m.start()], str(bindings[m.group()[1:]])]
            last = m.end()
    return "".join([*out, query[last:]])


def _group_end(query: str, start: int) -> int:
    """The offset of the ``}`` that closes the group opened just before ``start``."""
    covered = [(m.start(), m.end()) for m in TOKEN.finditer(query, start) if m.lastgroup != "word"]
    depth, at, spans = 1, start, iter(covered)
    span = next(spans, None)
    while at < len(query):
        while span is not None and span[1] <= at:
            span = next(spans, None)
        if span is not None and span[0] <= at < span[1]:
            at = span[1]
            continue
        if query[at] == "{":
            depth += 1
        elif query[at] == "}":
            depth -= 1
            if depth == 0:
                return at
        at += 1
    raise ValueError("the query's WHERE group is not closed")


def bind_constants(query: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with each bound variable written as its term inside the WHERE group (as SEP-0007
    substitution does, subqueries and FILTER NOT EXISTS included), and bound to the same term by a
    BIND closing the group, so that it is still projected, grouped and ordered by.

    For a SPARQL server, which takes no substitutions. A VALUES block is not the same there: a
    server may evaluate an OPTIONAL { GRAPH ?g … } as if ?g were free, or join a trailing VALUES
    to nothing (Virtuoso does both). The terms are written by pyoxigraph itself, never text
    pasted in.
    """
    if not bindings:
        return query
    start = _group_start(query)
    end = _group_end(query, start)
    out, last = [query[:start]], start
    for m in TOKEN.finditer(query[:end], start):
        if m.lastgroup == "var" and m.group()[1:] in bindings:
            out += [query[last : m.start()], str(bindings[m.group()[1:]])]
            last = m.end()
    binds = "".join(f" BIND({term} AS ?{name})" for name, term in bindings.items())
    return "".join([*out, query[last:end], f"\n {binds}\n", query[end:]])
