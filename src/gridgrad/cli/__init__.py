"""The ``gridgrad`` command line: ``gridgrad demo`` and ``gridgrad compute``.

``_parser`` builds the arguments, ``_demo`` and ``_compute`` are the commands, ``_formats``
reads and writes the file formats, ``_publish`` puts outputs in place without ever losing or
clobbering a file. No numerics here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from gridgrad.cli._common import CliError

__all__ = ["CliError", "console", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = words[0] if words[:1] in (["compute"], ["demo"]) else "command"
    try:
        from gridgrad.cli import _publish
        from gridgrad.cli._parser import parser

        _publish.install_interrupt_handler()

        args = parser().parse_args(argv)
        command = args.command
        return int(args.func(args))
    except BrokenPipeError:  # the reader went away (``gridgrad demo | head``): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)  # Python's documented recipe: no
        os.dup2(devnull, sys.stdout.fileno())  # second error when stdout is flushed at exit
        return 0
    except KeyboardInterrupt:
        from gridgrad.cli import _publish

        _publish.remove_staging()
        print(f"gridgrad {command}: interrupted", file=sys.stderr)
        return 130
    except (CliError, ImportError, OSError, ValueError, TypeError, IndexError, KeyError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        print(f"gridgrad {command}: error: {text}", file=sys.stderr)
        return 2


def console() -> None:
    """The ``gridgrad`` command (and ``python -m gridgrad``): :func:`main`, then exit with
    its status. Once the work is done and its status decided, a late Ctrl-C no longer
    turns the exit into an interrupt."""
    import signal

    from gridgrad.cli import _publish

    code = main()
    if _publish.in_main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)
