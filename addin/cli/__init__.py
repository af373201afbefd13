"""The ``plantrack`` command. Each sub-command is one module in this package
(``new``, ``validate``, ``rag`` ...) with ``register(subparsers)`` and
``run(args) -> int``; each is a thin layer over one library call.

Exit codes: 0 done, 1 the plan has problems (e.g. validation errors),
2 the input cannot be used. Errors are one line, no traceback (``--debug``
shows it).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from ..errors import PlantrackError
from .output import console, error

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE = 0, 1, 2


def command_modules() -> list:
    """Every sub-command module, in the order they appear in ``--help``."""
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "output":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register") and hasattr(module, "run"):
            modules.append(module)
    return sorted(modules, key=lambda m: getattr(m, "ORDER", 100))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors are exit 2, one line
        self.print_usage(sys.stderr)
        error(f"plantrack: {message}")
        raise SystemExit(EXIT_UNUSABLE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="plantrack",
        description="The improvement-plan tracker: validate, recalculate RAG, issue and merge partner "
        "returns, and build the board pack of an Excel tracker.",
        epilog="Run 'plantrack demo' to see every job on the built-in example plan.",
    )
    parser.add_argument("--version", action="version", version=f"plantrack {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show the full error (traceback) when a command fails"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in command_modules():
        command = module.register(sub)
        command.set_defaults(run=module.run)
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_UNUSABLE
    try:
        return int(args.run(args) or 0)
    except PlantrackError as exc:
        if args.debug:
            raise
        error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        error("Stopped. Nothing was changed.")
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if args.debug:
            raise
        error(
            f"plantrack stopped unexpectedly ({type(exc).__name__}: {exc}). Nothing was changed. "
            "Run again with --debug and send the output to the plantrack developers."
        )
        return EXIT_UNUSABLE


def run_main() -> None:  # pragma: no cover - console script entry
    sys.exit(main())


_ = console
