"""zhengai — knowledge graph and semantic queries for college quality diagnosis (诊改)."""

__version__ = "0.1.0"
