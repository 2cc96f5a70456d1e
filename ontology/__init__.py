"""The zhengai OWL ontology (Turtle), shipped as package data."""
