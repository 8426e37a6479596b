"""``python -m tickerpulse`` runs the command line."""

from tickerpulse.cli import run

run()
