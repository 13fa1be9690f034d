"""The ``prtr`` command line.

Each subcommand lives in a module of :mod:`prtr.commands` that defines
``register(subparsers)``; this module finds them, parses the arguments and turns every
:class:`~prtr.errors.PrtrError` into a message on standard error and exit status 2,
so that a user never sees a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from prtr import __version__, commands
from prtr.errors import PrtrError

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every subcommand of :mod:`prtr.commands`."""
    parser = argparse.ArgumentParser(
        prog="prtr",
        description="Tools for a Pollutant Release and Transfer Register.",
    )
    parser.add_argument("--version", action="version", version=f"prtr {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show progress detail"
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module_info in sorted(
        pkgutil.iter_modules(commands.__path__), key=lambda m: m.name
    ):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
    )
    if not hasattr(arguments, "handler"):
        parser.print_help()
        return 2
    try:
        return int(arguments.handler(arguments) or 0)
    except PrtrError as error:
        print(f"prtr: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("prtr: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``prtr ... | head``): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as error:
        if os.environ.get("PRTR_DEBUG"):
            raise
        print(
            f"prtr: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in prtr, not in your input. Run again with PRTR_DEBUG=1 "
            "and report what it prints.",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
