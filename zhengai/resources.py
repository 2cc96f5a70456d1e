"""Read the packaged ontology, shapes, queries and reference tables through importlib.resources."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def package_file(package: str, name: str) -> Traversable:
    return resources.files(f"zhengai.{package}").joinpath(name)


def read_text(package: str, name: str) -> str:
    return package_file(package, name).read_text(encoding="utf-8")


def read_bytes(package: str, name: str) -> bytes:
    return package_file(package, name).read_bytes()


def list_names(package: str, suffix: str) -> list[str]:
    root = resources.files(f"zhengai.{package}")
    return sorted(p.name for p in root.iterdir() if p.name.endswith(suffix))


def ontology_turtle() -> str:
    return read_text("ontology", "zhengai.ttl")
