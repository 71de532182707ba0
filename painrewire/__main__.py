"""`python -m painrewire` is the `painrewire` command."""

from painrewire.cli import app

app()
