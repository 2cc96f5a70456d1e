"""Editable reference tables (responsibility matrix, system keywords) and the sample college."""
