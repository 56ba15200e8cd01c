"""The speed table: ``python -m gridgrad.bench`` (``--quick`` for a small run).

Times gridgrad against numpy.gradient, torch.gradient, jax.numpy.gradient and
findiff (each where installed) on the same inputs, side by side in one process
(the calls compared in a row or line take turns, one call of each per round), best
of ``--repeat`` rounds after a warm-up, and the memory floor: two threads
copying the input's bytes into a freshly allocated array, once per output. Ratios
are each column's time over gridgrad's. Memory is the peak a call uses beyond its
input and outputs: traced allocations (tracemalloc) for gridgrad, numpy and
findiff, sampled resident memory (psutil, every 0.5 ms) for torch and jax.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

import gridgrad

__all__ = ["main"]

_POOL = ThreadPoolExecutor(2)


def _best(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _side_by_side(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """The best of ``repeat`` timed calls of each function, called in turns (one call
    of each per round, after a warm-up call of each): a machine that is slower for a
    while (a shared VM's neighbours, its memory's state) slows all of them alike, so
    their ratios hold where times taken one function after another drift apart."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: min(v) for name, v in times.items()}


def _traced_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    gc.collect()
    tracemalloc.start()
    result = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, result


def _rss_peak(fn: Callable[[], Any]) -> tuple[int, Any]:
    import psutil

    proc = psutil.Process()
    gc.collect()
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.0005)

    thread = threading.Thread(target=sample)
    thread.start()
    result = fn()
    done.set()
    thread.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    return peak[0] - base, result


def _nbytes(result: Any) -> int:
    items = result if isinstance(result, (list, tuple)) else [result]
    return sum(int(np.prod(r.shape)) * r.dtype.itemsize for r in items)


def _floor(f: np.ndarray, nout: int) -> None:
    """Two threads copy the input's bytes into a fresh array, once per output."""
    src = f.reshape(-1)
    half = src.shape[0] // 2
    for _ in range(nout):
        dst = np.empty_like(src)
        halves = [(dst[:half], src[:half]), (dst[half:], src[half:])]
        list(_POOL.map(lambda pair: np.copyto(*pair), halves))


def _peers(
    f: np.ndarray, dims: tuple[int, ...], coords: list[Any], edge_order: int
) -> dict[str, tuple[Callable[[], Any], str]]:
    """Callables per library, each computing the same derivatives, and how memory is read."""
    spacing = coords if coords else None
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "gridgrad": (
            lambda: gridgrad.gradient(f, spacing=spacing, dim=dims, edge_order=edge_order),
            "trace",
        ),
        "numpy": (
            lambda: np.gradient(f, *coords, axis=dims, edge_order=edge_order),  # type: ignore[call-overload]
            "trace",
        ),
    }
    try:
        import torch

        torch.set_num_threads(2)
        t = torch.from_numpy(f)
        kw: dict[str, Any] = {"dim": dims, "edge_order": edge_order}
        if coords:
            kw["spacing"] = [torch.from_numpy(c) for c in coords]
        calls["torch"] = (lambda: torch.gradient(t, **kw), "rss")
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        if edge_order == 1:  # jax.numpy.gradient has first-order edges only
            jf = jnp.asarray(f)
            jc = [jnp.asarray(c) for c in coords]

            def run_jax() -> Any:
                out = jnp.gradient(jf, *jc, axis=dims)
                out = out if isinstance(out, (list, tuple)) else [out]
                for o in out:
                    o.block_until_ready()
                return [np.asarray(o) for o in out]

            calls["jax"] = (run_jax, "rss")
    except ImportError:
        pass
    try:
        import findiff

        if edge_order == 2:  # findiff's one-sided edges have the stencil's accuracy
            ops = [findiff.Diff(d, coords[k] if coords else 1.0, acc=2) for k, d in enumerate(dims)]
            calls["findiff"] = (lambda: [op(f) for op in ops], "trace")
    except ImportError:
        pass
    return calls


PEERS = ["numpy", "torch", "jax", "findiff", "floor"]


def _row(
    label: str, f: np.ndarray, dims: tuple[int, ...], nonuniform: bool, edge_order: int, repeat: int
) -> str:
    rng = np.random.default_rng(0)
    coords = [np.cumsum(rng.uniform(0.5, 1.5, f.shape[d])) for d in dims] if nonuniform else []
    calls = _peers(f, dims, coords, edge_order)
    mems: dict[str, float] = {}
    able: dict[str, Callable[[], Any]] = {}
    for name, (fn, how) in calls.items():
        try:
            peak, result = (_traced_peak if how == "trace" else _rss_peak)(fn)
            mems[name] = max(0, peak - _nbytes(result)) / 2**20
            del result
        except Exception:  # a peer that cannot do this case
            continue
        able[name] = fn
    able["floor"] = lambda: _floor(f, len(dims))
    times = _side_by_side(able, repeat)
    base = times["gridgrad"]
    cells = [f"{base * 1e3:9.1f} {mems['gridgrad']:6.1f}"]
    for name in PEERS:
        if name not in times:
            cells.append(f"{'-':>22}")
        elif name == "floor":
            cells.append(f"{times[name] * 1e3:9.1f} {times[name] / base:5.2f}x")
        else:
            cells.append(
                f"{times[name] * 1e3:9.1f} {times[name] / base:5.2f}x {mems.get(name, 0):6.0f}"
            )
    return f"{label:<34}|" + "|".join(cells)


def _out_row(f: np.ndarray, repeat: int) -> str:
    dims = tuple(range(f.ndim))
    out = tuple(np.empty_like(f) for _ in dims)

    def copies() -> None:
        for o in out:
            np.copyto(o, f)

    t = _side_by_side(
        {
            "ours": lambda: gridgrad.gradient(f, out=out),
            "ref": lambda: np.gradient(f),
            "floor": copies,
        },
        repeat,
    )
    ours, ref, floor = t["ours"], t["ref"], t["floor"]
    return (
        f"into out= arrays, {f.shape} float64, all dims: gridgrad {ours * 1e3:.1f} ms, "
        f"numpy.gradient {ref * 1e3:.1f} ms ({ref / ours:.2f}x), "
        f"one-thread copy into the same arrays {floor * 1e3:.1f} ms"
    )


def _periodic_line(f: np.ndarray, repeat: int) -> str:
    """Issue 11's target: periodic axes within 1.2x of one-sided edges."""
    t = _side_by_side(
        {
            "periodic": functools.partial(gridgrad.gradient, f, boundary="periodic"),
            "one-sided": functools.partial(gridgrad.gradient, f),
        },
        repeat,
    )
    periodic, one_sided = t["periodic"], t["one-sided"]
    return (
        f"periodic, {f.shape} float64, all dims: {periodic * 1e3:.1f} ms, one-sided "
        f"{one_sided * 1e3:.1f} ms ({periodic / one_sided:.2f}x)"
    )


def _accuracy_lines(f: np.ndarray, repeat: int) -> list[str]:
    """Issue 5's targets: accuracy 8 against accuracy 2, and against findiff."""
    h = 1.0 / f.shape[0]
    lines = []
    for d in (0, f.ndim - 1):
        t = _side_by_side(
            {
                "2": functools.partial(gridgrad.derivative, f, d, accuracy=2, spacing=h),
                "8": functools.partial(gridgrad.derivative, f, d, accuracy=8, spacing=h),
            },
            repeat,
        )
        t2, t8 = t["2"], t["8"]
        line = (
            f"first derivative along dim {d}, {f.shape} float64: accuracy 8 {t8 * 1e3:.1f} ms, "
            f"accuracy 2 {t2 * 1e3:.1f} ms ({t8 / t2:.2f}x)"
        )
        try:
            import findiff
        except ImportError:
            line += "; findiff not installed"
        else:
            op = findiff.Diff(d, h)
            op.set_accuracy(8)
            tf = _best(functools.partial(op, f), min(repeat, 3))
            line += f"; findiff accuracy 8 {tf * 1e3:.1f} ms ({tf / t8:.1f}x gridgrad's time)"
        lines.append(line)
    return lines


def _torch_lines(f: np.ndarray, repeat: int) -> list[str]:
    """Issue 11's torch targets: a CPU tensor on the kernels against torch.gradient
    and the NumPy path; forward + backward with dense upstream gradients; an image
    batch with ``requires_grad`` against the copy floor and torch.gradient."""
    try:
        import torch
    except ImportError:
        return ["torch rows: torch not installed"]
    lines = []
    t = torch.from_numpy(f)
    ms = _side_by_side(
        {
            "ours": lambda: gridgrad.gradient(t),
            "peer": lambda: torch.gradient(t),
            "numpy": lambda: gridgrad.gradient(f),
        },
        repeat,
    )
    ours, peer, numpy_path = ms["ours"], ms["peer"], ms["numpy"]
    lines.append(
        f"torch CPU tensor {tuple(f.shape)} float64, all dims: gridgrad {ours * 1e3:.1f} ms, "
        f"torch.gradient {peer * 1e3:.1f} ms ({peer / ours:.2f}x), gridgrad on the NumPy array "
        f"{numpy_path * 1e3:.1f} ms (tensor / array {ours / numpy_path:.2f}x)"
    )
    x = t.clone().requires_grad_(True)
    ys = [torch.randn_like(t) for _ in range(f.ndim)]

    def both(grad: Callable[[Any], Any], x: Any, loss: Callable[[Any], Any]) -> Callable[[], None]:
        def step() -> None:
            loss(grad(x)).backward()
            x.grad = None

        return step

    def dense(g: Any) -> Any:
        return sum((gi * yi).sum() for gi, yi in zip(g, ys))

    gs = [torch.randn_like(t).requires_grad_(True) for _ in range(f.ndim)]

    def loss_alone() -> None:  # the loss's own forward and backward, given the g_i
        dense(gs).backward()
        for g in gs:
            g.grad = None

    ms = _side_by_side(
        {
            "ours": both(gridgrad.gradient, x, dense),
            "peer": both(torch.gradient, x, dense),
            "alone": loss_alone,
        },
        min(repeat, 3),
    )
    ours, peer, alone = ms["ours"], ms["peer"], ms["alone"]
    lines.append(
        f"torch forward + backward, dense upstream (sum((g_i * y_i).sum())), {tuple(f.shape)} "
        f"float64: gridgrad {ours * 1e3:.1f} ms, torch.gradient {peer * 1e3:.1f} ms "
        f"({peer / ours:.2f}x); the loss alone {alone * 1e3:.1f} ms (no gradient can make "
        f"the step faster than that: at most {peer / alone:.2f}x)"
    )
    img = torch.from_numpy(np.random.default_rng(2).standard_normal((32, 3, 256, 256), dtype=np.float32))  # fmt: skip
    xi = img.clone().requires_grad_(True)
    ms = _side_by_side(
        {
            "ours": lambda: gridgrad.gradient(xi, dim=(2, 3)),
            "peer": lambda: torch.gradient(xi, dim=(2, 3)),
            "floor": functools.partial(_floor, img.numpy(), 2),
        },
        repeat,
    )
    ours, peer, floor = ms["ours"], ms["peer"], ms["floor"]

    def smooth(g: Any) -> Any:
        return sum(gi.square().mean() for gi in g)

    gi = [torch.randn_like(img).requires_grad_(True) for _ in range(2)]

    def smooth_alone() -> None:  # the loss's own forward and backward, given the g_i
        smooth(gi).backward()
        for g in gi:
            g.grad = None

    ms = _side_by_side(
        {
            "ours": both(lambda v: gridgrad.gradient(v, dim=(2, 3)), xi, smooth),
            "peer": both(lambda v: torch.gradient(v, dim=(2, 3)), xi, smooth),
            "alone": smooth_alone,
        },
        repeat,
    )
    ours_b, peer_b, alone_b = ms["ours"], ms["peer"], ms["alone"]
    lines.append(
        f"image batch (32, 3, 256, 256) float32, requires_grad, dims (2, 3): forward gridgrad "
        f"{ours * 1e3:.1f} ms, torch.gradient {peer * 1e3:.1f} ms ({peer / ours:.2f}x), copy "
        f"floor {floor * 1e3:.1f} ms ({ours / floor:.2f}x the floor); forward + backward "
        f"(loss sum(g_i.square().mean())) gridgrad {ours_b * 1e3:.1f} ms, torch.gradient "
        f"{peer_b * 1e3:.1f} ms ({peer_b / ours_b:.2f}x); the loss alone {alone_b * 1e3:.1f} ms "
        f"(at most {peer_b / alone_b:.2f}x)"
    )
    return lines


def _subprocess_seconds(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    return float(out.stdout.strip().splitlines()[-1])


def _startup_lines() -> list[str]:
    imp = (
        "import time; t = time.perf_counter(); import numpy; t1 = time.perf_counter(); "
        "import gridgrad; print(time.perf_counter() - t1)"
    )
    first = (
        "import numpy as np, gridgrad, time; f = np.ones((256, 256, 64)); "
        "t = time.perf_counter(); gridgrad.gradient(f); print(time.perf_counter() - t)"
    )
    ready = first.replace(
        "print(time.perf_counter() - t)",
        "from gridgrad._engines.numba import loader; loader.load(); gridgrad.gradient(f); "
        "print(time.perf_counter() - t)",
    )
    imports = min(_subprocess_seconds(imp) for _ in range(5))
    _subprocess_seconds(ready)  # fills the kernel cache if it is cold
    firsts = min(_subprocess_seconds(first) for _ in range(3))
    readies = min(_subprocess_seconds(ready) for _ in range(3))
    return [
        f"import gridgrad after numpy: {imports * 1e3:.0f} ms (numba is not imported)",
        f"first large call (256x256x64 float64) of a fresh process, warm kernel cache: "
        f"{firsts * 1e3:.0f} ms (reference engine; the kernels then load in the background)",
        f"from the first call to a second call on the loaded kernels: {readies * 1e3:.0f} ms "
        f"(numba import and kernel load)",
    ]


def _latency_line(repeat: int) -> str:
    f = np.random.default_rng(0).standard_normal(100)
    n = 2000
    ms = _side_by_side(
        {
            "ours": lambda: [gridgrad.gradient(f) for _ in range(n)],
            "ref": lambda: [np.gradient(f) for _ in range(n)],
        },
        repeat,
    )
    ours, ref = ms["ours"] / n, ms["ref"] / n
    return (
        f"100-element float64 array: gridgrad {ours * 1e6:.1f} us, numpy.gradient "
        f"{ref * 1e6:.1f} us ({ours / ref:.2f}x numpy's time)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gridgrad.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small arrays, for a smoke test")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per cell (best taken)")
    parser.add_argument(
        "--only", default="", help="comma-separated; run only rows whose label contains one"
    )
    args = parser.parse_args(argv)
    from gridgrad._engines.numba import loader

    loader.load()  # the steady state: the first-call lines below time the loading
    sizes = (
        [(10**6,), (1024, 1024), (64, 64, 64)]
        if args.quick
        else [(5 * 10**7,), (4096, 4096), (256, 256, 256)]
    )
    print(f"gridgrad {gridgrad.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    print("times in ms, best of", args.repeat, "rounds taking turns after a warm-up; ratio = time / gridgrad's;")  # fmt: skip
    print("MB = peak memory beyond input and outputs")
    head = f"{'case':<34}|{'gridgrad ms    MB':>16}|" + "|".join(
        f"{name + ' ms ratio MB':>22}" if name != "floor" else f"{'floor ms ratio':>15}"
        for name in PEERS
    )
    print(head)
    print("-" * len(head))
    for shape in sizes:
        if args.only and not any(str(shape[0]) in part for part in args.only.split(",")):
            continue
        f64 = np.random.default_rng(1).standard_normal(shape)
        for dtype in ("float64", "float32"):
            f = f64.astype(dtype)
            dim_sets = [("all", tuple(range(f.ndim)))]
            if f.ndim > 1:
                dim_sets.append(("dim 0", (0,)))
            for nonuniform in (False, True):
                for edge_order in (1, 2):
                    for dname, dims in dim_sets:
                        label = (
                            f"{'x'.join(map(str, shape))} {dtype[5:]:>2}b "
                            f"{'nonunif' if nonuniform else 'uniform'} eo{edge_order} {dname}"
                        )
                        if any(part in label for part in args.only.split(",")):
                            print(_row(label, f, dims, nonuniform, edge_order, args.repeat))
                            sys.stdout.flush()
            del f
    f = np.random.default_rng(1).standard_normal(sizes[-1])
    print(_out_row(f, args.repeat))
    print(_periodic_line(f, args.repeat))
    for line in _torch_lines(f, args.repeat):
        print(line)
        sys.stdout.flush()
    for line in _accuracy_lines(f, args.repeat):
        print(line)
    print(_latency_line(args.repeat))
    for line in _startup_lines():
        print(line)


if __name__ == "__main__":
    main()
