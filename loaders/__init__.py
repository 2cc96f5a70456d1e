"""Loaders: files (Excel, CSV, RDF) → RDF graphs. A loader parses and checks; it never writes."""
