"""Entry point of the frozen app: no arguments opens the window, otherwise the usual subcommands."""
import sys

from restorer.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["gui"]))
