"""Hand-written structural SHACL shapes (Turtle), shipped as package data."""
