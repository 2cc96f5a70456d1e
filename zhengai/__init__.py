"""zhengai — knowledge graph and semantic queries for college quality diagnosis (诊改)."""

__version__ = "0.1.0"


def doctest_modules() -> list[str]:
    """Modules whose ``>>>`` examples the test suite runs."""
    return [
        "zhengai.namespaces",
        "zhengai.loaders.table",
        "zhengai.loaders.base",
        "zhengai.loaders.catalogue",
        "zhengai.loaders.headers",
        "zhengai.criteria",
        "zhengai.criteria.lexer",
        "zhengai.criteria.describe",
    ]
