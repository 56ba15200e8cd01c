"""gridgrad.smooth: Savitzky–Golay and GCV-spline derivatives of noisy samples."""

from __future__ import annotations

import functools
import math
import subprocess
import sys

import numpy as np
import pytest

import gridgrad
import smooth_signals as signals
from conftest import require
from gridgrad import smooth

RNG = np.random.default_rng(12345)


def _rmse(d, v):
    return float(np.sqrt(np.mean((np.asarray(d) - v) ** 2)))


# --------------------------------------------------------------------------- Savitzky–Golay


@pytest.mark.parametrize(
    ("window", "degree", "order"),
    [
        (3, 1, 1),
        (5, 2, 1),
        (5, 2, 2),
        (11, 3, 1),
        (11, 3, 2),
        (11, 4, 0),
        (21, 5, 1),
        (51, 3, 2),
        (9, 8, 3),
    ],
)
@pytest.mark.parametrize("axis", [0, 1])
def test_savgol_equals_scipy_interp(window, degree, order, axis) -> None:
    signal = require("scipy.signal")
    f = RNG.standard_normal((60, 60))
    h = 0.37
    ours = smooth.derivative(f, axis, spacing=h, window=window, degree=degree, order=order)
    ref = signal.savgol_filter(f, window, degree, deriv=order, delta=h, axis=axis, mode="interp")
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-11 * np.abs(ref).max())


def test_savgol_uniform_coordinates_use_the_same_weights() -> None:
    signal = require("scipy.signal")
    x = 2.0 + 0.1 * np.arange(40)
    f = RNG.standard_normal((3, 40))
    ours = smooth.derivative(f, 1, spacing=x, window=9, degree=3)
    ref = signal.savgol_filter(f, 9, 3, deriv=1, delta=0.1, axis=1, mode="interp")
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("degree", [2, 3, 4, 6])
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("decreasing", [False, True])
def test_polynomial_exactness_nonuniform(degree, order, decreasing) -> None:
    x = np.sort(RNG.uniform(-3.0, 4.0, 80))
    if decreasing:
        x = x[::-1]
    for p in range(degree + 1):
        f = (x - 0.5) ** p
        coef = math.factorial(p) / math.factorial(p - order) if p >= order else 0.0
        true = coef * (x - 0.5) ** max(p - order, 0)
        d = smooth.derivative(
            np.stack([f, 2 * f]), 1, spacing=x, window=2 * degree + 3, degree=degree, order=order
        )
        scale = max(1.0, np.abs(true).max())
        np.testing.assert_allclose(d[0], true, rtol=0, atol=1e-8 * scale)
        np.testing.assert_allclose(d[1], 2 * true, rtol=0, atol=2e-8 * scale)


def test_savgol_weights_table() -> None:
    w, start = smooth.savgol_weights(np.array([0.0, 1.0, 3.0, 4.0, 7.0, 8.0]), window=3, degree=2)
    assert w.shape == (6, 3) and start.tolist() == [0, 0, 1, 2, 3, 3]
    np.testing.assert_allclose(w.sum(axis=1), 0.0, atol=1e-14)
    np.testing.assert_allclose(w[1], gridgrad.fd_weights([-1.0, 0.0, 2.0]), atol=1e-14)


@pytest.mark.parametrize(
    "make",
    [np.asfortranarray, lambda a: a[::-1, ::-1], lambda a: a.astype(">f8"), lambda a: a.T.copy().T],
    ids=["fortran", "negative-strides", "big-endian", "transposed"],
)
@pytest.mark.parametrize("axis", [0, 1])
def test_layouts(make, axis) -> None:
    a = RNG.standard_normal((30, 31))
    ref = smooth.derivative(np.ascontiguousarray(make(a), dtype="=f8"), axis, window=7)
    np.testing.assert_array_equal(smooth.derivative(make(a), axis, window=7), ref)


def test_nd_any_dim_and_dtypes() -> None:
    f = RNG.standard_normal((4, 25, 3))
    ref = np.stack([smooth.derivative(f[i, :, j], 0, window=7) for i in range(4) for j in range(3)])
    got = smooth.derivative(f, 1, window=7)
    np.testing.assert_allclose(got.transpose(0, 2, 1).reshape(12, 25), ref, atol=1e-13)
    assert smooth.derivative(f.astype(np.float32), -2, window=7).dtype == np.float32
    assert smooth.derivative(np.arange(10), 0, window=5).dtype == np.float64
    z = smooth.derivative(f + 1j * f, 1, window=7)
    np.testing.assert_allclose(z.imag, got, atol=1e-13)
    # auto on complex samples: both parts' noise, the same choice as for one part
    g = np.sin(np.linspace(0, 4, 200)) + 0.05 * RNG.standard_normal((4, 200))
    za, zi = smooth.derivative(g + 1j * g, 1, method="auto", per_series=True, return_info=True)
    ra, ri = smooth.derivative(g, 1, method="auto", per_series=True, return_info=True)
    np.testing.assert_array_equal(zi.window, ri.window)
    np.testing.assert_array_equal(zi.degree, ri.degree)
    assert np.isrealobj(zi.rmse)
    np.testing.assert_allclose(za.imag, ra, atol=1e-12)
    np.testing.assert_allclose(zi.noise, np.sqrt(2) * ri.noise)


def test_nan_gaps_are_skipped_not_spread() -> None:
    x = np.sort(RNG.uniform(0, 10, 60))
    f = np.sin(x) + 0.01 * RNG.standard_normal((3, 60))
    gaps = [5, 30, 31, 59]
    g = f.copy()
    g[1, gaps] = np.nan
    d = smooth.derivative(g, 1, spacing=x, window=9)
    keep = np.setdiff1d(np.arange(60), gaps)
    np.testing.assert_array_equal(np.isnan(d[1]), np.isin(np.arange(60), gaps))
    alone = smooth.derivative(g[1, keep], 0, spacing=x[keep], window=9)
    np.testing.assert_allclose(d[1, keep], alone, atol=1e-12)
    # the other series are untouched by the gaps of series 1
    np.testing.assert_array_equal(d[[0, 2]], smooth.derivative(f[[0, 2]], 1, spacing=x, window=9))
    # auto and return_error see the gaps too
    da, err = smooth.derivative(g, 1, spacing=x, method="auto", return_error=True)
    assert np.isnan(da[1, gaps]).all() and np.isfinite(da[1, keep]).all()
    assert np.isfinite(da[[0, 2]]).all() and (err[1, keep] > 0).all()


# --------------------------------------------------------------------------- backends


def test_backends_savgol(backend) -> None:
    x = np.sort(RNG.uniform(0, 3, 40))
    f = RNG.standard_normal((5, 40))
    for spacing in (0.1, x):
        ref = smooth.derivative(f, 1, spacing=spacing, window=9, degree=3)
        out = smooth.derivative(backend.asarray(f), 1, spacing=spacing, window=9, degree=3)
        assert backend.is_native(out)
        np.testing.assert_allclose(backend.to_numpy(out), ref, rtol=0, atol=1e-12)
    ref0 = smooth.derivative(f, 0, spacing=x[:5], window=3, degree=2, order=2)
    out0 = smooth.derivative(backend.asarray(f), 0, spacing=x[:5], window=3, degree=2, order=2)
    np.testing.assert_allclose(backend.to_numpy(out0), ref0, rtol=0, atol=1e-9)


@functools.cache
def _auto_ref(name: str, per_series: bool = False):  # type: ignore[no-untyped-def]
    """``(t, y, NumPy result, info)`` of the pooled choice on the test signal ``name``:
    the same deterministic call for every backend of test_backends_auto, made once."""
    t, y, _ = signals.signal(name, 0.05, series=3 if name == "sine" else 20)
    kw = {"per_series": True} if per_series else {}
    ref, info = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True, **kw)
    return t, y, ref, info


def test_backends_auto(backend) -> None:
    # the pooled choice on every backend, Dask included (only the sampled series computed)
    t, y, ref, info = _auto_ref("sine")
    out, info2 = smooth.derivative(
        backend.asarray(y), 1, spacing=t, method="auto", return_info=True
    )
    assert backend.is_native(out)
    np.testing.assert_allclose(backend.to_numpy(out), ref, atol=1e-10)
    assert (info2.window, info2.degree) == (info.window, info.degree)
    assert info2.rmse == pytest.approx(info.rmse)
    # ends with their own windows (the Lorenz transient): the same table on every backend
    tl, yl, ref, info = _auto_ref("lorenz_x")
    out, info2 = smooth.derivative(
        backend.asarray(yl), 1, spacing=tl, method="auto", return_info=True
    )
    assert info.edges[0] != (info.window, info.degree) and info2.edges == info.edges
    np.testing.assert_allclose(backend.to_numpy(out), ref, atol=1e-10)
    tt, yt, ref, info = _auto_ref("triangle")
    out, info2 = smooth.derivative(
        backend.asarray(yt), 1, spacing=tt, method="auto", return_info=True
    )
    assert backend.is_native(out) and info2.method == info.method == "spline"
    np.testing.assert_allclose(backend.to_numpy(out), ref, atol=1e-10)
    assert info2.lam == pytest.approx(info.lam)
    if backend.name == "dask":
        with pytest.raises(ValueError, match="`per_series=True` needs every series"):
            smooth.derivative(backend.asarray(y), 1, method="auto", per_series=True)
        return
    _, _, ref, info = _auto_ref("sine", per_series=True)
    out, info2 = smooth.derivative(
        backend.asarray(y), 1, spacing=t, method="auto", per_series=True, return_info=True
    )
    np.testing.assert_allclose(backend.to_numpy(out), ref, atol=1e-10)
    np.testing.assert_array_equal(info.window, info2.window)


def test_backends_nan_gaps(backend) -> None:
    # NaN gaps: fitted on the finite samples on every backend, as on NumPy
    x = np.sort(RNG.uniform(0, 10, 60))
    f = np.sin(x) + 0.01 * RNG.standard_normal((3, 60))
    f[1, [5, 30, 31, 59]] = np.nan
    arr = backend.asarray(f)
    if backend.name == "dask":  # gaps need whole series along dim (the rule tested below)
        arr = arr.rechunk({1: -1})
    for kwargs in ({"window": 9}, {"method": "auto"}, {"method": "spline"}):
        ref = smooth.derivative(f, 1, spacing=x, **kwargs)
        out = smooth.derivative(arr, 1, spacing=x, **kwargs)
        assert backend.is_native(out)
        np.testing.assert_allclose(backend.to_numpy(out), ref, atol=1e-10, equal_nan=True)
        assert np.isnan(backend.to_numpy(out)[1, [5, 30, 31, 59]]).all()
    if backend.name == "dask":
        da = require("dask.array")
        lazy = smooth.derivative(da.from_array(f, chunks=(3, 20)), 1, spacing=x, window=9)
        with pytest.raises(ValueError, match=r"rechunk `dim` to one chunk"):
            lazy.compute()
        # the same data rechunked as the message says
        whole = smooth.derivative(
            da.from_array(f, chunks=(3, 20)).rechunk({1: -1}), 1, spacing=x, window=9
        )
        np.testing.assert_allclose(
            whole.compute(), smooth.derivative(f, 1, spacing=x, window=9), equal_nan=True
        )


def test_torch_gaps_with_grad_are_refused() -> None:
    torch = require("torch")
    f = torch.tensor(np.r_[np.arange(20.0), np.nan, np.arange(10.0)], requires_grad=True)
    with pytest.raises(ValueError, match=r"`f` has NaN samples .* requires grad"):
        smooth.derivative(f, 0, window=5)


def test_torch_autograd_reaches_the_samples() -> None:
    torch = require("torch")
    f = torch.tensor(RNG.standard_normal(30), requires_grad=True)
    d = smooth.derivative(f, 0, spacing=0.5, window=7)
    d.sum().backward()
    w, start = smooth.savgol_weights(30, window=7)
    expected = np.zeros(30)
    for i in range(30):
        expected[start[i] : start[i] + 7] += w[i] / 0.5
    np.testing.assert_allclose(f.grad.numpy(), expected, atol=1e-12)


def test_dask_chunks_narrower_than_the_window() -> None:
    da = require("dask.array")
    x = np.cumsum(RNG.uniform(0.5, 1.5, 50))
    f = RNG.standard_normal((4, 50))
    ref = smooth.derivative(f, 1, spacing=x, window=15, degree=4)
    out = smooth.derivative(da.from_array(f, chunks=(3, 4)), 1, spacing=x, window=15, degree=4)
    np.testing.assert_allclose(out.compute(), ref, atol=1e-12)


# --------------------------------------------------------------------------- spline


@pytest.mark.parametrize("order", [0, 1, 2])
def test_spline_equals_scipy_gcv(order) -> None:
    interpolate = require("scipy.interpolate")
    x = np.sort(RNG.uniform(0, 5, 80))
    f = np.sin(2 * x)[:, None] + 0.05 * RNG.standard_normal((80, 3))
    ours = smooth.derivative(f, 0, spacing=x, method="spline", order=order)
    for j in range(3):
        ref = interpolate.make_smoothing_spline(x, f[:, j]).derivative(order)(x)
        np.testing.assert_allclose(ours[:, j], ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_spline_reports_its_gcv_lambda() -> None:
    interpolate = require("scipy.interpolate")
    x = np.sort(RNG.uniform(0, 5, 70))
    f = np.sin(2 * x) + np.array([[0.02], [0.1], [0.3]]) * RNG.standard_normal((3, 70))
    f[2, [3, 40]] = np.nan
    d, info = smooth.derivative(f, 1, spacing=x, method="spline", return_info=True)
    assert info.method == "spline" and info.lam.shape == (3,)
    for j in range(3):
        keep = np.isfinite(f[j])
        again = interpolate.make_smoothing_spline(x[keep], f[j, keep], lam=info.lam[j])
        np.testing.assert_allclose(d[j, keep], again.derivative()(x[keep]), rtol=1e-7, atol=1e-9)
    assert info.lam[0] < info.lam[1]  # more noise, more smoothing
    # a series with too few finite samples is not fitted: NaN
    g = f.copy()
    g[0, 3:] = np.nan
    assert np.isnan(smooth.derivative(g, 1, spacing=x, method="spline", return_info=True)[1].lam[0])
    # N-D: shaped like the input without dim
    _, info3 = smooth.derivative(
        f.T.reshape(70, 3, 1), 0, spacing=x, method="spline", return_info=True
    )
    assert info3.lam.shape == (3, 1)


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("uniform", [True, False])
def test_spline_lambda_per_series_equals_scipy_1d(dim, uniform) -> None:
    """Each series gets its own GCV smoothing: the derivative and lambda of scipy's 1-D
    ``make_smoothing_spline(x, y_j)`` on that series alone, for series of clearly different
    noise (a lambda shared by the batch would fail both checks)."""
    interpolate = require("scipy.interpolate")
    n = 120
    rng = np.random.default_rng(7)
    # unit-sized steps: the GCV lambdas are far above scipy's search tolerance (1e-5)
    x = np.arange(n, dtype=float) if uniform else np.cumsum(rng.uniform(0.5, 1.5, n))
    noise = np.array([0.003, 0.03, 0.1, 0.3])
    rows = np.sin(x / 9) + noise[:, None] * rng.standard_normal((noise.size, n))
    f = rows if dim == 1 else rows.T.copy()
    d, info = smooth.derivative(f, dim, spacing=x, method="spline", return_info=True)
    got = d if dim == 1 else d.T
    assert info.lam.shape == (noise.size,)
    for j in range(noise.size):
        alone = interpolate.make_smoothing_spline(x, rows[j])
        ref = alone.derivative()(x)
        np.testing.assert_allclose(got[j], ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
        # the lambda reported is the one scipy's GCV chose for this series alone
        again = interpolate.make_smoothing_spline(x, rows[j], lam=info.lam[j]).derivative()(x)
        np.testing.assert_allclose(again, ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())
    assert (np.diff(info.lam) > 0).all()  # more noise, more smoothing: one lambda each
    assert info.lam[-1] > 10 * info.lam[0]


def test_spline_gaps_decreasing_coordinates_and_dask() -> None:
    interpolate = require("scipy.interpolate")
    da = require("dask.array")
    x = np.linspace(3, 0, 50)
    f = np.cos(x) + 0.02 * RNG.standard_normal((2, 50))
    f[1, [4, 17]] = np.nan
    d = smooth.derivative(f, 1, spacing=x, method="spline")
    keep = np.setdiff1d(np.arange(50), [4, 17])
    ref = interpolate.make_smoothing_spline(x[keep][::-1], f[1, keep][::-1]).derivative()(x[keep])
    np.testing.assert_allclose(d[1, keep], ref, atol=1e-10)
    assert np.isnan(d[1, [4, 17]]).all()
    lazy = smooth.derivative(da.from_array(f, chunks=(1, 10)), 1, spacing=x, method="spline")
    np.testing.assert_allclose(lazy.compute(), d, atol=1e-12, equal_nan=True)


# --------------------------------------------------------------------------- noisy signals

CASES = [(name, noise) for name in signals.SIGNALS for noise in (0.01, 0.05, 0.1)]
#: auto's RMSE / plain central differences' RMSE must stay below this (triangle's kinks
#: dominate its error at low noise, where differencing is already close to the truth)
GAIN = {0.01: 0.5, 0.05: 0.3, 0.1: 0.25}


@pytest.mark.parametrize(("name", "noise"), CASES)
def test_noise_reduction_on_pynumdiff_signals(name, noise) -> None:
    t, y, v = signals.signal(name, noise, series=2)
    (plain,) = gridgrad.gradient(y, spacing=(t,), dim=1)
    d, info = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True)
    gain = GAIN[noise] if name != "triangle" else {0.01: 1.1, 0.05: 0.45, 0.1: 0.3}[noise]
    assert _rmse(d, v) < gain * _rmse(plain, v)
    assert isinstance(info.window, int) and info.rmse > 0 and info.noise.shape == (2,)


def test_pooled_choice_near_pynumdiffs_tuned_best() -> None:
    # the accuracy target of the benchmark on its 5% rows: auto (nothing tuned) against
    # pynumdiff's methods tuned on the true derivative (benchmarks/smooth_pynumdiff_cache.json)
    import json
    from pathlib import Path

    cache = Path(__file__).resolve().parents[1] / "benchmarks" / "smooth_pynumdiff_cache.json"
    table = next(v for k, v in json.loads(cache.read_text()).items() if k.endswith("/20"))
    for name in signals.SIGNALS:
        t, y, v = signals.signal(name, 0.05, series=20)
        best = min(r["rmse"] for r in table[f"{name} 0.05"].values())
        assert _rmse(smooth.derivative(y, 1, spacing=t, method="auto"), v) < 1.2 * best, name


def test_auto_chooses_the_spline_where_it_is_better() -> None:
    # the kinks of the triangle favour the spline; the smooth sine a high-degree filter
    interpolate = require("scipy.interpolate")
    t, y, v = signals.signal("triangle", 0.05, series=20)
    d, info = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True)
    assert info.method == "spline" and info.window is None and info.lam > 0
    for j in (0, 7):
        ref = interpolate.make_smoothing_spline(t, y[j], lam=info.lam).derivative()(t)
        np.testing.assert_allclose(d[j], ref, rtol=1e-9, atol=1e-9)
    assert _rmse(d, v) < 1.02 * _rmse(smooth.derivative(y, 1, spacing=t, method="spline"), v)
    ts, ys, _ = signals.signal("sine", 0.01, series=20)
    assert (
        smooth.derivative(ys, 1, spacing=ts, method="auto", return_info=True)[1].method == "savgol"
    )
    # not with an error estimate (a stencil's) nor per series
    for kwargs in ({"return_error": True}, {"per_series": True}):
        *_, other = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True, **kwargs)
        assert other.method == "savgol"


def test_linear_mse_estimate() -> None:
    # a filter's estimated MSE against a reference that is exact for the signal (a
    # quartic): unbiased, so over 8 draws of noise its mean is the mean true MSE
    from gridgrad import _smooth_auto
    from gridgrad import _smooth_savgol as sg

    x = np.linspace(-1, 1, 300)
    clean, true = x**4 - x, 4 * x**3 - 1
    w = sg.table_uniform(x.size, 41, 2, 1, x[1] - x[0])
    r = sg.table_uniform(x.size, 41, 4, 1, x[1] - x[0])

    def apply(table):
        return lambda z: sg.apply_numpy(np.ascontiguousarray(z), 1, table, np.dtype("f8"))

    est, mse = [], []
    for seed in range(8):
        y = clean + 0.02 * np.random.default_rng(seed).standard_normal((200, x.size))
        d = apply(w)(y)
        sigma2 = np.full(200, 0.02**2)
        est.append(_smooth_auto.linear_mse(d, apply(w), apply(r)(y), apply(r), sigma2))
        mse.append(np.mean((d - true) ** 2))
    assert np.mean(est) == pytest.approx(np.mean(mse), rel=0.1)
    # the noise part alone (reference = the filter): exact norms up to EXACT_NORMS
    # samples, random sign probes above
    exact = _smooth_auto.linear_mse(d, apply(w), d, apply(w), sigma2)
    assert exact == pytest.approx((w[0] ** 2).sum(axis=1).mean() * 0.02**2, rel=1e-10)
    n = _smooth_auto.EXACT_NORMS + 501
    big = sg.table_uniform(n, 21, 2, 1, 0.1)
    dz = apply(big)(RNG.standard_normal((2, n)))
    probed = _smooth_auto.linear_mse(dz, apply(big), dz, apply(big), np.ones(2))
    assert probed == pytest.approx((big[0] ** 2).sum(axis=1).mean(), rel=0.05)


def _assert_pieces(d, y, t, info) -> None:
    """``d`` (of the samples ``y`` at ``t``) is the filter of (window, degree) in the
    interior and the filters of ``info.edges`` on the first and last window // 2 points."""
    half = info.window // 2
    (wl, pl), (wr, pr) = info.edges
    inner = smooth.derivative(y, 1, spacing=t, window=info.window, degree=info.degree)
    np.testing.assert_array_equal(d[:, half:-half], inner[:, half:-half])
    left = smooth.derivative(y, 1, spacing=t, window=wl, degree=pl)
    right = smooth.derivative(y, 1, spacing=t, window=wr, degree=pr)
    np.testing.assert_array_equal(d[:, :half], left[:, :half])
    np.testing.assert_array_equal(d[:, -half:], right[:, -half:])


def test_pooled_choice_looks_at_a_sample_of_the_series() -> None:
    from gridgrad import _smooth_auto

    t, y, _ = signals.signal("pop_dyn", 0.05, series=150)
    rows = _smooth_auto.pool_rows(150)
    assert rows.size == _smooth_auto.POOL_ROWS and rows[0] == 0 and rows[-1] == 149
    d, info = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True)
    _, sub = smooth.derivative(y[rows], 1, spacing=t, method="auto", return_info=True)
    assert (info.window, info.degree, info.rmse) == (sub.window, sub.degree, sub.rmse)
    assert info.edges == sub.edges
    _assert_pieces(d, y, t, info)
    # per series: each its own window, the same as the series alone
    _, each = smooth.derivative(
        y[:4], 1, spacing=t, method="auto", per_series=True, return_info=True
    )
    assert each.window.shape == (4,)
    for j in range(4):
        alone = smooth.derivative(
            y[j], 0, spacing=t, method="auto", per_series=True, return_info=True
        )[1]
        assert (each.window[j], each.degree[j]) == (alone.window, alone.degree)


@pytest.mark.parametrize("name", signals.SIGNALS)
def test_irregular_samples_no_worse(name) -> None:
    # jittered sample times of the same signals: no worse than even ones (20 series, as
    # the benchmark; a pooled choice over 3 series is too noisy to compare)
    t, y, v = signals.signal(name, 0.05, series=20)
    ti, yi, vi = signals.signal(name, 0.05, series=20, irregular=True)
    d = smooth.derivative(y, 1, spacing=t, method="auto")
    di = smooth.derivative(yi, 1, spacing=ti, method="auto")
    assert _rmse(di, vi) < 1.05 * _rmse(d, v)


def test_spline_noise_reduction() -> None:
    require("scipy")
    t, y, v = signals.signal("sine", 0.05, series=2)
    (plain,) = gridgrad.gradient(y, spacing=(t,), dim=1)
    assert _rmse(smooth.derivative(y, 1, spacing=t, method="spline"), v) < 0.2 * _rmse(plain, v)


def test_cutoff_heuristic_and_info() -> None:
    t, y, v = signals.signal("sine", 0.05, series=3)
    d, info = smooth.derivative(y, 1, spacing=t, method="auto", cutoff=1.7, return_info=True)
    assert info.cutoff == 1.7
    assert info.gamma == pytest.approx(np.exp(-5.1) * 1.7**-1.6 * 0.01**-0.71)
    (plain,) = gridgrad.gradient(y, spacing=(t,), dim=1)
    assert _rmse(d, v) < 0.3 * _rmse(plain, v)
    _, info1 = smooth.derivative(y[0], 0, spacing=0.01, degree=3, return_info=True)
    assert isinstance(info1.window, int) and info1.degree == 3
    _, each = smooth.derivative(y, 1, spacing=t, cutoff=1.7, per_series=True, return_info=True)
    assert each.window.shape == (3,) and each.window.dtype.kind == "i"


def test_noise_estimate_irregular_samples() -> None:
    # a steep smooth signal on jittered samples: the second differences would see the
    # slope times the uneven steps; the line through the neighbours does not
    from gridgrad import _smooth_auto

    t = np.sort(RNG.uniform(0, 4, 2000))
    y = 50 * np.sin(3 * t) + 0.01 * RNG.standard_normal((4, t.size))
    np.testing.assert_allclose(_smooth_auto.noise_sigma(y, t), 0.01, rtol=0.15)
    even = np.linspace(0, 4, 2000)
    z = np.sin(even) + 0.3 * RNG.standard_normal((3, even.size))
    np.testing.assert_allclose(_smooth_auto.noise_sigma(z, even), _smooth_auto.noise_sigma(z))


def test_noise_estimate_sees_through_curvature() -> None:
    # a chirp up to 3.7 cycles per unit, 100 samples per unit, 1% noise: the line through
    # the two neighbours takes the curvature for noise (about 40% high here); the cubic
    # through four does not, on even and on jittered samples
    from gridgrad import _smooth_auto

    for irregular in (False, True):
        t = signals.times(irregular)
        y = np.sin(2 * np.pi * (0.5 * t + 0.4 * t**2)) + 0.007 * RNG.standard_normal((16, t.size))
        # each series' estimate is a MAD of ~400 residuals (a few % off); their mean
        assert np.mean(_smooth_auto.noise_sigma(y, t)) == pytest.approx(0.007, rel=0.08)
    # no noise: a cubic on uneven steps leaves nothing (exact Lagrange weights)
    x = np.sort(RNG.uniform(0, 3, 50))
    cubic = (2 * x**3 - x**2 + 4 * x - 1)[None, :]
    assert _smooth_auto.noise_sigma(cubic, x)[0] < 1e-9
    # fewer than five samples: the straight line through the neighbours
    assert _smooth_auto.noise_sigma(np.array([[0.0, 1.0, 0.0, 1.0]]))[0] > 0


def test_edge_rows_come_from_their_own_tables() -> None:
    from gridgrad import _smooth_savgol as sg

    x = np.sort(RNG.uniform(0, 10, 60))
    base = sg.table_nonuniform(x, 21, 3, 1)
    left, right = sg.table_nonuniform(x, 9, 2, 1), sg.table_nonuniform(x, 15, 4, 1)
    w, start = sg.with_edges(base, left, right)
    assert w.shape == base[0].shape and (start >= 0).all() and (start <= 60 - 21).all()
    f = RNG.standard_normal((3, 60))
    got = sg.apply_numpy(f, 1, (w, start), np.dtype(np.float64))
    expect = [sg.apply_numpy(f, 1, tb, np.dtype(np.float64)) for tb in (left, base, right)]
    np.testing.assert_allclose(got[:, :10], expect[0][:, :10], rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(got[:, 10:50], expect[1][:, 10:50])
    np.testing.assert_allclose(got[:, 50:], expect[2][:, 50:], rtol=1e-13, atol=1e-13)


def test_edges_get_their_own_window_where_the_signal_turns_fast() -> None:
    # Lorenz x starts with a fast transient: the shifted windows at the start are too wide
    # for it, so the start gets a narrower window (and a smaller error there); the end,
    # where the signal is calm, keeps the interior's choice or one like it
    t, y, v = signals.signal("lorenz_x", 0.05, series=20)
    d, info = smooth.derivative(y, 1, spacing=t, method="auto", return_info=True)
    (wl, _), _ = info.edges
    assert info.method == "savgol" and wl < info.window
    _assert_pieces(d, y, t, info)
    half = info.window // 2
    plain = smooth.derivative(y, 1, spacing=t, window=info.window, degree=info.degree)
    assert _rmse(d[:, :half], v[:half]) < 0.6 * _rmse(plain[:, :half], v[:half])
    # the estimate counts the saving: near the true error, not above that of the plain filter
    assert info.rmse == pytest.approx(_rmse(d, v), rel=0.2)
    # a cubic has no bias to trade: no end leaves the interior's choice
    cubic = 0.5 * t**3 - 2 * t**2 + t + 0.05 * RNG.standard_normal((20, t.size))
    _, info = smooth.derivative(cubic, 1, spacing=t, method="auto", return_info=True)
    assert info.edges == ((info.window, info.degree),) * 2
    # too few series for a standard error: the ends keep the interior's choice
    _, info = smooth.derivative(y[:4], 1, spacing=t, method="savgol", return_info=True)
    assert info.edges == ((info.window, info.degree),) * 2


def test_error_estimate_matches_the_noise() -> None:
    # pure noise: the result is all noise, and its spread is what return_error says
    y = RNG.standard_normal((400, 200))
    d, err = smooth.derivative(y, 1, spacing=0.1, window=11, degree=3, return_error=True)
    observed = d.std(axis=0)
    predicted = np.sqrt(np.mean(err**2, axis=0))
    np.testing.assert_allclose(observed, predicted, rtol=0.15)
    assert err[:, 0].mean() > err[:, 100].mean()  # shifted edge windows are noisier


# --------------------------------------------------------------------------- xarray


def test_xarray_differentiate() -> None:
    xr = require("xarray")
    da = require("dask.array")
    t = np.sort(RNG.uniform(0, 10, 120))
    data = np.sin(t)[None, :] + 0.01 * RNG.standard_normal((2, 120))
    arr = xr.DataArray(data, dims=("s", "t"), coords={"t": t}, name="v", attrs={"units": "m"})
    arr["t"].attrs["units"] = "s"
    out = smooth.differentiate(arr, "t", window=21)
    np.testing.assert_array_equal(out.values, smooth.derivative(data, 1, spacing=t, window=21))
    assert out.dims == arr.dims and out.name == "v" and out.attrs["units"] == "m / s"
    lazy = smooth.differentiate(arr.chunk({"t": 30}), "t", window=21)
    assert isinstance(lazy.data, da.Array)
    np.testing.assert_allclose(lazy.values, out.values, atol=1e-12)
    # a data-driven window on dask: chosen from the data, the derivative stays lazy
    auto, info = smooth.differentiate(arr.chunk({"t": 30}), "t", method="auto", return_info=True)
    ref, ref_info = smooth.differentiate(arr, "t", method="auto", return_info=True)
    assert isinstance(auto.data, da.Array) and info.method == ref_info.method
    np.testing.assert_allclose(auto.values, ref.values, atol=1e-10)
    times = np.datetime64("2024-01-01") + (t * 1e6).astype("timedelta64[us]")
    timed = arr.assign_coords(t=times)
    np.testing.assert_allclose(
        smooth.differentiate(timed, "t", window=21).values, out.values, rtol=1e-3, atol=1e-4
    )
    ds = xr.Dataset({"v": arr, "c": xr.DataArray(np.ones(2), dims="s")})
    res = smooth.differentiate(ds, "t", method="auto")
    assert set(res.data_vars) == {"v", "c"} and np.array_equal(res["c"], ds["c"])
    with pytest.raises(ValueError, match="`dim` 'x' is not a dimension"):
        smooth.differentiate(arr, "x")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "magic"}, ValueError, "`method` must be one of"),
        ({"method": "tv"}, ValueError, "planned"),
        ({"method": 3}, TypeError, "`method` must be a string"),
        ({"window": 8}, ValueError, "`window` must be odd"),
        ({"window": 41}, ValueError, "`window` must be at most the number of samples"),
        ({"window": 5, "degree": 5}, ValueError, "`degree` must be less than `window`"),
        ({"window": 5, "degree": 1, "order": 2}, ValueError, "`order` must be at most `degree`"),
        ({"window": 5.0}, TypeError, "`window` must be an integer"),
        ({"order": -1}, ValueError, "`order` must be at least 0"),
        ({"spacing": np.arange(5.0)}, ValueError, "one value per sample"),
        (
            {"spacing": np.r_[0.0, 2.0, 1.0, np.arange(3.0, 40.0)]},
            ValueError,
            "strictly increasing",
        ),
        ({"spacing": np.r_[np.nan, np.arange(1.0, 40.0)]}, ValueError, "finite"),
        ({"spacing": 0.0}, ValueError, "`spacing` step must be finite and non-zero"),
        ({"spacing": "a"}, TypeError, "`spacing` must be a number"),
        ({"cutoff": -1.0}, ValueError, "`cutoff` must be a positive number"),
        ({"cutoff": 1.0, "window": 5}, ValueError, "`cutoff` chooses the window"),
        ({"method": "spline", "window": 5}, ValueError, "`window` does not apply"),
        ({"method": "spline", "order": 3}, ValueError, "`order` must be from 0 to 2"),
        ({"method": "spline", "return_error": True}, ValueError, "`return_error`"),
        ({"method": "auto", "window": 5}, ValueError, "method='auto' chooses"),
        ({"per_series": 1}, TypeError, "`per_series` must be a boolean"),
        ({"window": 5, "per_series": True}, ValueError, "`per_series` applies to a data-driven"),
        ({"method": "spline", "per_series": True}, ValueError, "`per_series` does not apply"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        smooth.derivative(np.ones((2, 40)), 1, **kwargs)


def test_bad_dim_and_data() -> None:
    with pytest.raises(IndexError, match="`dim` 2 is out of range"):
        smooth.derivative(np.ones((2, 40)), 2, window=5)
    with pytest.raises(TypeError, match="`dim` must be an integer"):
        smooth.derivative(np.ones((2, 40)), "x", window=5)
    with pytest.raises(TypeError, match="`f` must hold real or complex numbers"):
        smooth.derivative(np.array(["a", "b", "c"]), 0, window=3)
    with pytest.raises(ValueError, match="0-d"):
        smooth.derivative(np.float64(1.0), 0)
    da = require("dask.array")
    with pytest.raises(ValueError, match="`return_info` with method='spline' needs the data"):
        smooth.derivative(da.ones((2, 40)), 1, method="spline", return_info=True)


# --------------------------------------------------------------------------- package


def test_import_does_not_load_scipy() -> None:
    code = "import sys, gridgrad, gridgrad.smooth; print('scipy' in sys.modules, 'numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_public_surface() -> None:
    assert sorted(smooth.__all__) == [
        "METHODS",
        "SmoothInfo",
        "derivative",
        "differentiate",
        "savgol_weights",
    ]


def test_signals_are_pynumdiffs() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulate = require("pynumdiff.utils.simulate")
    t = signals.times(irregular=False)
    # (the triangle is pynumdiff's construction too, straight lines between the extremes of
    # sin(t**2); its simulation loops over 40000 points in Python, too slow for here)
    for name, tol in (("sine", 1e-9), ("pop_dyn", 2e-3), ("lorenz_x", 5e-2)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # the simulated ones (Euler loops in Python) over the first second only
            duration = 1.0 if name in ("pop_dyn", "lorenz_x") else signals.DURATION
            _, pos, vel = getattr(simulate, name)(duration=duration, dt=signals.DT)
        ours_pos, ours_vel = signals._CLEAN[name](t[: pos.size])
        np.testing.assert_allclose(ours_pos, pos, atol=tol * np.abs(pos).max())
        np.testing.assert_allclose(ours_vel, vel, atol=tol * np.abs(vel).max())


def test_cli_spec() -> None:
    from gridgrad._smooth_spec import parse_spec

    assert parse_spec("savgol:window=11,degree=3") == {
        "method": "savgol",
        "window": 11,
        "degree": 3,
    }
    assert parse_spec(" auto ") == {"method": "auto"}
    assert parse_spec("spline") == {"method": "spline"}
    for bad, match in [
        ("sg:window=3", "must start with one of"),
        ("savgol:window", "KEY=VALUE"),
        ("savgol:width=3", "KEY=VALUE"),
        ("savgol:window=3.5", "'window' must be an integer"),
        ("savgol:window=3,window=5", "repeats"),
    ]:
        with pytest.raises(ValueError, match=match):
            parse_spec(bad)
