"""Run by tests/test_cli_safety.py in a fresh process: publish a staged output over an old
one, sending this process ``signal`` at the ``k``-th line executed in ``_publish``.

argv: k signal mode target, where mode is ``store`` (a Zarr-like directory, swapped with
renameat2), ``fallback`` (the same without renameat2: the old store is renamed aside first) or
``file``. Prints the number of lines traced when it was not killed. A script only: importing
it (pytest collects modules for doctests) does nothing.
"""

import importlib.util
import os
import signal
import sys
from pathlib import Path


def main() -> None:
    # the module alone, without the package (gridgrad's own import would dominate the run time)
    spec = importlib.util.spec_from_file_location("_publish", os.environ["GRIDGRAD_PUBLISH_PY"])
    assert spec is not None and spec.loader is not None
    publish = importlib.util.module_from_spec(spec)
    sys.modules["_publish"] = publish  # dataclasses look the module up
    spec.loader.exec_module(publish)

    k, sig, mode, target = int(sys.argv[1]), getattr(signal, sys.argv[2]), sys.argv[3], sys.argv[4]
    if mode == "fallback":
        publish._renameat2 = lambda src, dst, flags: False  # an OS without renameat2

    def build(path: Path, tag: str) -> None:
        if mode == "file":
            path.write_text(tag * 100)
            return
        path.mkdir()
        (path / "zarr.json").write_text(tag)
        for i in range(20):
            (path / f"c{i}").write_text(tag)

    publish.install_interrupt_handler()
    count = [0]

    def line(frame, event, arg):  # type: ignore[no-untyped-def]
        if event == "line":
            count[0] += 1
            if count[0] == k:
                os.kill(os.getpid(), sig)
        return line

    sys.settrace(
        lambda frame, event, arg: line if frame.f_code.co_filename == publish.__file__ else None
    )
    try:
        with publish.staged(Path(target)) as staging:  # as the CLI: staged, written, published
            build(staging.path, "new")
            publish.publish(staging, overwrite=True)
    except KeyboardInterrupt:
        sys.settrace(None)
        publish.remove_staging()
        sys.exit(130)
    sys.settrace(None)
    print(count[0])


if __name__ == "__main__":
    main()
