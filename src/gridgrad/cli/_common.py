"""What the CLI's parts share: the one-line error and the option parsing helpers."""

from __future__ import annotations

import argparse
from typing import Any

from gridgrad._options import Options

__all__ = ["CliError", "numbers", "options", "split"]


class CliError(Exception):
    """A bad command line or input file: printed as one line, exit status 2."""


def split(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def unique(items: list[Any], option: str) -> list[Any]:
    """``items`` if no entry repeats; a CliError naming the repeated one otherwise."""
    seen: set[Any] = set()
    for item in items:
        if item in seen:
            msg = f"{option} names {item!r} twice"
            raise CliError(msg)
        seen.add(item)
    return items


def numbers(text: str | None, option: str) -> list[float]:
    try:
        return [float(t) for t in split(text)]
    except ValueError:
        msg = f"{option} must be numbers separated by commas; got {text!r}"
        raise CliError(msg) from None


def options(args: argparse.Namespace) -> dict[str, Any]:
    """The scheme keywords shared by every operation (:class:`gridgrad._options.Options`)."""
    periods = numbers(args.period, "--period")
    if len(periods) > 1:
        msg = f"--period takes one domain length; got {args.period!r}"
        raise CliError(msg)
    if periods and args.boundary != "periodic":
        msg = "--period applies to --boundary periodic only"
        raise CliError(msg)
    return Options(
        accuracy=args.accuracy,
        edge_order=args.edge_order,
        boundary=args.boundary,
        period=periods[0] if len(periods) == 1 else None,
    )._asdict()
