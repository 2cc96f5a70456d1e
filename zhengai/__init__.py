"""zhengai — knowledge graph and semantic queries for college quality diagnosis (诊改)."""

__version__ = "0.1.0"


def doctest_modules() -> list[str]:
    """Every module of the package whose source holds interpreter examples (the test suite runs them all)."""
    import importlib.util
    import pkgutil
    import re
    from pathlib import Path

    names = []
    for package in ("zhengai", "zhengai.loaders", "zhengai.api"):
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations is not None
        for info in pkgutil.walk_packages(spec.submodule_search_locations, prefix=package + "."):
            found = importlib.util.find_spec(info.name)
            if (
                found is not None
                and found.origin
                and re.search(r"^\s*>>> ", Path(found.origin).read_text("utf-8"), re.M)
            ):
                names.append(info.name)
    return sorted(set(names))
