"""plantrack demo [DIR]: every job on the built-in example plan, end to end."""

from __future__ import annotations

import argparse
from pathlib import Path

ORDER = 5


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "demo",
        help="run every job on the built-in example plan and show where the files are",
        description="Write the built-in example tracker into DIR and run the jobs on it, printing "
        "what each one did.",
    )
    p.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=Path("plantrack-demo"),
        help="folder for the demo files (default: ./plantrack-demo)",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    return run_demo(args.dir)
