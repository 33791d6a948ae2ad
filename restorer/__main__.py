"""``python -m restorer``: the same command line as the ``restorer`` script (the GUI starts the trainer this way,
so it runs with the very interpreter and packages of the app, venv or not)."""
import sys

from restorer.cli import main

if __name__ == "__main__":
    sys.exit(main())
