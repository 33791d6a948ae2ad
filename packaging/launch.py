"""Entry point of the frozen app (PyInstaller runs this file, not ``restorer.cli``).

No arguments (a double-click) opens the window, as do photo or folder paths alone (Windows "Open with",
files dropped on the icon): they become ``gui PATH...``. Anything else is the usual command line, so the bundle's
executable is also ``restorer colorize ...``, ``restorer --selftest`` and, for the app's Fine-tune dialog, the
trainer child process (``restorer train ...``: restorer.gui.train_process.trainer_command).
"""
import argparse
import multiprocessing
import sys

from restorer.cli import build_parser, main


def app_argv(argv: list[str]) -> list[str]:
    """``argv`` as ``restorer.cli.main`` takes it: a bare list of paths (or nothing) means ``gui``."""
    # macOS before 10.9 added a -psn_0_NNN process serial number to apps started from the Finder.
    argv = [a for a in argv if not a.startswith("-psn_")]
    # argparse has no public way to list the subcommands; its subparsers action holds them.
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    commands = set(sub.choices)
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        return ["gui", *argv]
    return argv


if __name__ == "__main__":
    multiprocessing.freeze_support()  # `restorer train --workers N` starts data-loader processes from this file
    sys.exit(main(app_argv(sys.argv[1:])))
