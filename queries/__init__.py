"""Named SPARQL queries (``*.rq``), shipped as package data and loaded by name."""
