"""Tokens and principals, by themselves: what a token file may say, and that a principal, once a
request has one, cannot be changed into another (cases found by bench/mutants.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from zhengai.api.roles import Tokens

from zhengai.errors import ZhengaiError


def tokens_from(tmp_path: Path, text: str) -> Tokens:
    file = tmp_path / "tokens.toml"
    file.write_text(text, encoding="utf-8")
    return Tokens.from_file(file)


@pytest.mark.parametrize(
    "levels",
    ['"学生"', '["学生", 3]', "3"],
    ids=["a string, not a list", "a list holding a number", "a number"],
)
def test_an_ingest_tokens_levels_are_a_list_of_names(tmp_path: Path, levels: str) -> None:
    text = f'[[token]]\nrole = "ingest"\nname = "学工系统"\ntoken = "x"\nlevels = {levels}\n'
    with pytest.raises(ZhengaiError) as caught:
        tokens_from(tmp_path, text)
    assert "lists of strings" in caught.value.en and "文字列表" in caught.value.zh


def test_an_ingest_token_keeps_exactly_its_levels(tmp_path: Path) -> None:
    text = '[[token]]\nrole = "ingest"\nname = "学工系统"\ntoken = "x"\nlevels = ["学生"]\nindicators = []\n'
    who = tokens_from(tmp_path, text).principal("Bearer x")
    assert who.role == "ingest" and who.levels == frozenset({"学生"}) and who.indicators == frozenset()


def test_a_principal_and_a_token_cannot_be_changed(tmp_path: Path) -> None:
    """A request's principal is shared by everything that serves the request: none may raise its role."""
    tokens = tokens_from(tmp_path, '[[token]]\nrole = "teacher"\nperson = "T1005"\ntoken = "x"\n')
    who = tokens.principal("Bearer x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        who.role = "quality_office"  # type: ignore[misc]
    entry = tokens._entries[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.digest = "0" * 64  # type: ignore[misc]
    assert tokens.principal("Bearer x").role == "teacher"


@pytest.mark.parametrize("header", ["Basic eA==", "Bearer ", "Bearer    ", "token x"])
def test_an_authorization_header_not_of_the_bearer_form_is_named_as_such(tmp_path: Path, header: str) -> None:
    from zhengai.api.roles import TokenError

    tokens = tokens_from(tmp_path, '[[token]]\nrole = "reader"\ntoken = "x"\n')
    with pytest.raises(TokenError) as caught:
        tokens.principal(header)
    assert "Bearer <token>" in caught.value.en
    with pytest.raises(TokenError) as unknown:
        tokens.principal("Bearer y")
    assert unknown.value.en == "unknown token"


def test_a_token_for_another_college_is_refused_on_a_colleges_server(tmp_path: Path) -> None:
    from zhengai.api.roles import AccessError

    tokens = tokens_from(
        tmp_path,
        '[[token]]\nrole = "reader"\ntoken = "a"\ncollege = "10001"\n'
        '[[token]]\nrole = "reader"\ntoken = "any"\n',
    )
    assert tokens.principal("Bearer a", "10001").college == "10001"
    with pytest.raises(AccessError) as caught:
        tokens.principal("Bearer a", "10002")
    assert "for college 10001" in caught.value.en and "10002" in caught.value.zh
    assert tokens.principal("Bearer a").college == "10001"  # a server of one college: its own tokens
    assert tokens.principal("Bearer any", "10002").college is None  # a token of no college: any server
