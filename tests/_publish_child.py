"""Run by tests/test_cli_safety.py in a fresh process: publish a staged output over an old
one, sending this process ``signal`` at the ``k``-th line executed in ``_publish``.

argv: k signal mode target, where mode is ``store`` (a Zarr-like directory, swapped with
renameat2), ``fallback`` (the same without renameat2: the old store is renamed aside first) or
``file``. Prints the number of lines traced when it was not killed.
"""

import importlib.util
import os
import signal
import sys
from pathlib import Path

# the module alone, without the package (gridgrad's own import would dominate the run time)
_spec = importlib.util.spec_from_file_location("_publish", os.environ["GRIDGRAD_PUBLISH_PY"])
assert _spec is not None and _spec.loader is not None
_publish = importlib.util.module_from_spec(_spec)
sys.modules["_publish"] = _publish  # dataclasses look the module up
_spec.loader.exec_module(_publish)

k, sig, mode, target = (
    int(sys.argv[1]),
    getattr(signal, sys.argv[2]),
    sys.argv[3],
    Path(sys.argv[4]),
)
if mode == "fallback":
    _publish._renameat2 = lambda src, dst, flags: False  # an OS without renameat2


def build(path: Path, tag: str) -> None:
    if mode == "file":
        path.write_text(tag * 100)
        return
    path.mkdir()
    (path / "zarr.json").write_text(tag)
    for i in range(20):
        (path / f"c{i}").write_text(tag)


_publish.install_interrupt_handler()
count = 0


def line(frame, event, arg):  # type: ignore[no-untyped-def]
    global count
    if event == "line":
        count += 1
        if count == k:
            os.kill(os.getpid(), sig)
    return line


sys.settrace(
    lambda frame, event, arg: line if frame.f_code.co_filename == _publish.__file__ else None
)
try:
    with _publish.staged(target) as staging:  # as the CLI: staged, written, published
        build(staging.path, "new")
        _publish.publish(staging, overwrite=True)
except KeyboardInterrupt:
    sys.settrace(None)
    _publish.remove_staging()
    sys.exit(130)
sys.settrace(None)
print(count)
