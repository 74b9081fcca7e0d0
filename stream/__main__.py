"""`python -m stream` runs the `kpiwatch` command."""

from stream.cli import main

main()
