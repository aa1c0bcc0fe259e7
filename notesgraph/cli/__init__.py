"""The `notesgraph` command: thin adapters over the core, one module per topic.

`notes` (index, show, search, similarity), `graph` (neighbours, trace, path, export), `claims`
and `runs` (experiments, run, runs) each offer a table of commands; `output` holds what they
share. Each command parses its arguments, calls one core function and prints the result (as
text, or as JSON with --json). User errors become one clear line on stderr and an exit code:
0 all good, 1 something was skipped or not found, 2 the command could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from notesgraph import __version__
from notesgraph.cli.claims import CLAIM_COMMANDS
from notesgraph.cli.graph import GRAPH_COMMANDS
from notesgraph.cli.library import LIBRARY_COMMANDS
from notesgraph.cli.notes import NOTE_COMMANDS, cmd_app
from notesgraph.cli.output import EXIT_FAILED, EXIT_OK, EXIT_SKIPPED, CommandTable, terminal_safe_output
from notesgraph.cli.runs import RUN_COMMANDS
from notesgraph.config import default_db_path
from notesgraph.indexer import NotesFolderError
from notesgraph.lookup import AmbiguousTitle, IndexEmpty, NoteNotFound
from notesgraph.store import Store, StoreError

__all__ = ["COMMANDS", "NO_STORE", "build_parser", "main"]

COMMANDS: CommandTable = {**NOTE_COMMANDS, **GRAPH_COMMANDS, **CLAIM_COMMANDS, **RUN_COMMANDS, **LIBRARY_COMMANDS}
"""name -> (help, handler, argument adder). A new command is one entry in its topic's table, a
handler and a line in the README's command table (a test checks both)."""
NO_STORE = frozenset({"check", "app", "experiments"})
"""Commands that must not open (and so create) a database."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS,
                        help=f"database file (default: $NOTESGRAPH_DB or {default_db_path()})")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON")
    parser = argparse.ArgumentParser(
        prog="notesgraph", parents=[common],
        description="Turn a folder of research notes into one living graph. With no command: open the "
                    "desktop app on the last folder opened, else the bundled notes/ (without a display: "
                    "a text summary).")
    parser.add_argument("--version", action="version", version=f"notesgraph {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, _, add_arguments) in COMMANDS.items():
        add_arguments(sub.add_parser(name, parents=[common], help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.json = getattr(args, "json", False)
    args.db_path = getattr(args, "db", None) or default_db_path()
    with terminal_safe_output():  # note text must not drive the terminal
        try:
            return _run_command(args)
        except (NotesFolderError, StoreError) as error:
            print(f"notesgraph: {error}", file=sys.stderr)
            return EXIT_FAILED
        except (NoteNotFound, AmbiguousTitle, IndexEmpty) as error:
            print(f"notesgraph: {error}", file=sys.stderr)
            return EXIT_SKIPPED
        except BrokenPipeError:
            # The reader went away (`notesgraph show X | head`): not an error worth a traceback.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK


def _run_command(args: argparse.Namespace) -> int:
    """No command: the app; a command that needs no store gets None; the others an open store."""
    if args.command is None:
        return cmd_app(args, None)
    handler = COMMANDS[args.command][1]
    if args.command in NO_STORE:
        return handler(args, None)
    with Store(args.db_path) as store:
        return handler(args, store)
