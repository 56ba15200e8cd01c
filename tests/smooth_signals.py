"""pynumdiff's test signals (``pynumdiff.utils.simulate``, the same closed forms and ODEs),
sampled evenly (step 0.01 over [0, 4), 400 samples, as pynumdiff's defaults) or irregularly
(each sample time jittered by up to +-0.4 steps), with Gaussian noise of a given fraction of
the clean signal's standard deviation. Shared by tests/test_smooth.py and
benchmarks/smooth_bench.py.

``HELD_OUT`` are signals the benchmark's accuracy targets do not use (a chirp, a sum of
three sines, Gaussian bumps of different widths, a cubic), for checking that a change to
the automatic choice is not fitted to the benchmark's four
(``smooth_bench.py --held-out``)."""

from __future__ import annotations

import numpy as np

DURATION, DT = 4.0, 0.01
SIGNALS = ("sine", "triangle", "lorenz_x", "pop_dyn")
HELD_OUT = ("chirp", "sines", "bumps", "cubic")
_FINE = 1e-3  # the fine grid the irregular sample times are drawn from


def _sine(t):
    pos = 1.0 + sum(0.5 * np.sin(2 * np.pi * f * t) for f in (1.0, 1.7))
    vel = sum(0.5 * 2 * np.pi * f * np.cos(2 * np.pi * f * t) for f in (1.0, 1.7))
    return pos, vel


def _triangle(t):
    # straight lines between the extremes of sin(t**2) (t**2 = pi/2 + k pi), from 0 at t=0
    k = np.arange(0, 64)
    peaks = np.sqrt(np.pi / 2 + k * np.pi)
    peaks = peaks[peaks < DURATION]
    knots_t = np.r_[0.0, peaks, DURATION]
    knots_v = np.r_[0.0, np.sin(peaks**2), np.sin(DURATION**2)]
    pos = np.interp(t, knots_t, knots_v)
    seg = np.clip(np.searchsorted(knots_t, t, side="right") - 1, 0, knots_t.size - 2)
    vel = (knots_v[seg + 1] - knots_v[seg]) / (knots_t[seg + 1] - knots_t[seg])
    return pos, vel


def _pop_dyn(t):
    big_k, r, p0 = 2.0, 4.0, 0.1
    pos = big_k / (1.0 + (big_k / p0 - 1.0) * np.exp(-r * t))
    return pos, r * pos * (1.0 - pos / big_k)


_LORENZ: dict[str, np.ndarray] = {}


def _lorenz_fine() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not _LORENZ:
        sigma, beta, rho = 10.0, 8.0 / 3.0, 45.0

        def rhs(s):
            x, y, z = s
            return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

        n = round(DURATION / _FINE) + 1
        states = np.empty((n, 3))
        s = np.array([5.0, 1.0, 3.0])
        h = _FINE
        for i in range(n):
            states[i] = s
            k1 = rhs(s)
            k2 = rhs(s + 0.5 * h * k1)
            k3 = rhs(s + 0.5 * h * k2)
            k4 = rhs(s + h * k3)
            s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        vel = np.array([rhs(v) for v in states])
        _LORENZ.update(t=np.arange(n) * h, x=states[:, 0] / 20, v=vel[:, 0] / 20)
    return _LORENZ["t"], _LORENZ["x"], _LORENZ["v"]


def _lorenz(t):
    tf, xf, vf = _lorenz_fine()
    # cubic Hermite between fine-grid points (x and x' known there)
    i = np.clip(np.searchsorted(tf, t, side="right") - 1, 0, tf.size - 2)
    h = tf[1] - tf[0]
    s = (t - tf[i]) / h
    h00, h10, h01, h11 = (
        2 * s**3 - 3 * s**2 + 1,
        s**3 - 2 * s**2 + s,
        -2 * s**3 + 3 * s**2,
        s**3 - s**2,
    )
    pos = h00 * xf[i] + h10 * h * vf[i] + h01 * xf[i + 1] + h11 * h * vf[i + 1]
    vel = np.interp(t, tf, vf)
    return pos, vel


def _chirp(t):
    phase = 2 * np.pi * (0.5 * t + 0.4 * t**2)  # 0.5 to 3.7 cycles per unit
    return np.sin(phase), np.cos(phase) * 2 * np.pi * (0.5 + 0.8 * t)


def _sines(t):
    parts = ((1.0, 0.7), (0.4, 1.9), (0.15, 3.3))  # (amplitude, frequency)
    pos = sum(a * np.sin(2 * np.pi * f * t + f) for a, f in parts)
    return pos, sum(a * 2 * np.pi * f * np.cos(2 * np.pi * f * t + f) for a, f in parts)


def _bumps(t):
    parts = ((0.6, 0.15), (1.5, 0.05), (2.2, 0.3), (3.4, 0.1))  # (centre, width)
    pos = sum(np.exp(-0.5 * ((t - c) / w) ** 2) for c, w in parts)
    return pos, sum(-(t - c) / w**2 * np.exp(-0.5 * ((t - c) / w) ** 2) for c, w in parts)


def _cubic(t):
    return 0.5 * t**3 - 2 * t**2 + t, 1.5 * t**2 - 4 * t + 1


_CLEAN = {
    "sine": _sine,
    "triangle": _triangle,
    "lorenz_x": _lorenz,
    "pop_dyn": _pop_dyn,
    "chirp": _chirp,
    "sines": _sines,
    "bumps": _bumps,
    "cubic": _cubic,
}


def times(irregular: bool, seed: int = 0) -> np.ndarray:
    t = np.arange(round(DURATION / DT)) * DT
    if irregular:
        rng = np.random.default_rng(10_000 + seed)
        t = t + rng.uniform(-0.4, 0.4, t.size) * DT
        t[0] = 0.0
    return t


def signal(
    name: str, noise: float, series: int = 20, irregular: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, noisy samples (series, n), true derivative (n,)); noise is the standard deviation
    as a fraction of the clean signal's."""
    t = times(irregular, seed)
    pos, vel = _CLEAN[name](t)
    rng = np.random.default_rng(seed)
    noisy = pos + noise * np.std(pos) * rng.standard_normal((series, t.size))
    return t, noisy, vel
