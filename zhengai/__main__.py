"""``python -m zhengai``: the command line."""

from zhengai.cli import app

app()
