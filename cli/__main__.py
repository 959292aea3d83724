"""`python -m cli` runs the `memberflow` command."""

from cli.main import main

main()
