"""Edge-aware spreading of hint corrections: Levin, Lischinski & Weiss (2004), "Colorization using Optimization".

The network predicts ab; a hint says what ab should be in its patch. The *correction* field D (2 x h x w on the
working grid) minimises

    sum_{r~s} w_rs |D_r - D_s|^2  +  mu * sum_r |D_r|^2,   with D fixed to (hint ab - predicted ab) on hint pixels,

over the 3 x 3 neighbourhood graph, where w_rs = exp(-(L_r - L_s)^2 / 2 sigma^2) follows the photo's own
lightness (Levin's affinities: sigma from the local variance of L, floored). Hint pixels are held exactly
(Dirichlet), so a hint keeps its chosen chroma at any colour strength. The small ``mu`` pulls the correction back
to 0 (trust the network) far from every hint: without it one hint would shift the whole photo by one amount (a
constant is the minimiser); with it the correction fades with the distance measured along L, filling a coat and
stopping at its outline.

A hint also says how vivid the network's colours should be: beside D, a chroma gain field G (the hint's ab
projected on the predicted ab at each held pixel, 1 off the held pixels) is spread by the same system, and the
result is ab * (1 + G) + D (:func:`spread`). An additive correction alone moves a muted coat and its gray lining
by the same ab; the gain scales what the network already coloured and leaves its neutrals neutral.

The normal equations are symmetric positive definite. They are solved coarse to fine (a cascade): the grid is
halved until it is small, solved there directly (SuperLU), and each finer level starts from the coarser solution
upsampled and runs a fixed number of Jacobi-preconditioned conjugate-gradient steps, which remove the local error
that upsampling leaves. The fixed count keeps every solve the same cost and deterministic (the app's saved result
equals the CLI's). A warm start from the previous edit's field was measured worse: with a fixed step count it
cannot carry a new hint's correction far, where the cascade's coarse levels do, at about the same cost.
"""
from __future__ import annotations

import cv2
import numpy as np

from restorer.core.color import AB_NORM

#: Bounds of Levin's per-pixel sigma (from the local variance of L) in L units: the floor keeps flat areas from
#: cutting at every bit of film grain, the cap keeps a clean step edge (whose 3 x 3 window has a large variance)
#: a barrier.
SIGMA_FLOOR = 0.5
SIGMA_CAP = 2.0
#: Pull of the correction towards 0 per working-grid pixel, relative to a neighbour link of weight 1; the reach
#: in flat areas is about 1 / sqrt(mu) pixels. Measured on val photos: a long reach gains most.
MU = 2e-6
#: Chroma gain a hint may set (hint_gains): 0 (the network's hue is wrong there) to 3x (it is right but muted),
#: and only where the network's own chroma is at least GAIN_MIN_CHROMA ab units (below that its hue is noise).
#: Tuned on 30 selection-split training photos (tools/tune_hints.py, eval's hint sampler, default model): the
#: gain field lifted the gain of 10 hints from +4.03 to +5.12 dB and of 50 from +7.34 to +8.33.
GAIN_RANGE = (0.0, 3.0)
GAIN_MIN_CHROMA = 10.0
#: Conjugate-gradient steps per level of the cascade (measured: mean error under 0.5 ab units of the exact solve).
ITERATIONS = 40
#: A half-size pixel is held when at least this fraction of it is hinted (smaller hints are carried by the fine
#: level's steps).
COARSE_FIX = 0.25
#: Below this short side the system is solved directly.
DIRECT_SIDE = 40

def _links(L: np.ndarray, sigma_floor: float, sigma_cap: float) -> list[tuple[int, int, np.ndarray]]:
    """(dy, dx, h x w weights) of the links right, down, down-right and down-left of each pixel (0 off the grid)."""
    h, w = L.shape
    L = L.astype(np.float32)
    mean = cv2.boxFilter(L, -1, (3, 3), borderType=cv2.BORDER_REFLECT)
    var = cv2.boxFilter(L * L, -1, (3, 3), borderType=cv2.BORDER_REFLECT) - mean * mean
    two_s2 = 2.0 * np.clip(var, sigma_floor ** 2, max(sigma_floor, sigma_cap) ** 2)
    out = []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        wgt = np.zeros((h, w), np.float64)
        ys, yt = slice(0, h - dy), slice(dy, h)
        xs, xt = slice(max(0, -dx), w - max(0, dx)), slice(max(0, dx), w + min(0, dx))
        diff = L[ys, xs] - L[yt, xt]
        # The mean of both ends' sigmas keeps w_rs == w_sr, so the system stays symmetric.
        v = np.exp(-(diff * diff) / (0.5 * (two_s2[ys, xs] + two_s2[yt, xt])))
        wgt[ys, xs] = v * (0.5 if dy and dx else 1.0)  # diagonals are sqrt(2) apart: half weight keeps it round
        out.append((dy, dx, wgt))
    return out


def laplacian(L: np.ndarray, sigma_floor: float = SIGMA_FLOOR, sigma_cap: float = SIGMA_CAP):
    """The graph Laplacian (scipy CSR, n x n, n = h * w) of Levin's 3 x 3 affinities of ``L``, and its diagonal."""
    import scipy.sparse as sp

    h, w = L.shape
    n = h * w
    diags, offsets = [], []
    deg = np.zeros(n)
    for dy, dx, wgt in _links(L, sigma_floor, sigma_cap):
        k = dy * w + dx
        f = wgt.ravel()[: n - k]
        deg[: n - k] += f
        deg[k:] += f
        diags += [-f, -f]
        offsets += [k, -k]
    return sp.diags(diags + [deg], offsets + [0], shape=(n, n), format="csr"), deg


def _system(L: np.ndarray, d: np.ndarray, fixed: np.ndarray, mu: float, sigma_floor: float, sigma_cap: float):
    """(A, b, 1 / diag A) of the Dirichlet problem: identity rows on fixed pixels, the rest eliminated."""
    import scipy.sparse as sp

    lap, deg = laplacian(L, sigma_floor, sigma_cap)
    hm = fixed.ravel().astype(np.float64)
    fm = 1.0 - hm
    A0 = (lap + sp.diags(np.full(hm.size, mu))).tocsr()
    xd = d.reshape(d.shape[0], -1).T.astype(np.float64) * hm[:, None]
    b = xd - fm[:, None] * (A0 @ xd)
    # diag(fm) A0 diag(fm) + diag(hm), by scaling the stored entries (fm is 0 or 1, so this is exact and far
    # cheaper than two sparse products).
    rows = np.repeat(np.arange(A0.shape[0]), np.diff(A0.indptr))
    A = A0.copy()
    A.data *= fm[rows] * fm[A.indices]
    A = (A + sp.diags(hm)).tocsr()
    return A, b, 1.0 / (fm * (deg + mu) + hm)


def _pcg(A, b: np.ndarray, inv_diag: np.ndarray, x: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` Jacobi-preconditioned CG steps on every column of ``b`` at once (each its own step sizes)."""
    r = b - A @ x
    inv = inv_diag[:, None]
    z = r * inv
    p = z.copy()
    tmp = np.empty_like(p)
    rz = np.einsum("ij,ij->j", r, z)
    for _ in range(steps):
        if not np.any(rz > 1e-20):
            break  # converged exactly (e.g. a constant field)
        Ap = A @ p
        pAp = np.einsum("ij,ij->j", p, Ap)
        alpha = np.where(pAp > 0, rz / np.where(pAp > 0, pAp, 1.0), 0.0)
        x += np.multiply(p, alpha, out=tmp)
        r -= np.multiply(Ap, alpha, out=tmp)
        np.multiply(r, inv, out=z)
        rz_new = np.einsum("ij,ij->j", r, z)
        p *= np.where(rz > 0, rz_new / np.where(rz > 0, rz, 1.0), 0.0)
        p += z
        rz = rz_new
    return x


def _down(a: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    return cv2.resize(a.astype(np.float32), (hw[1], hw[0]), interpolation=cv2.INTER_AREA)


def solve(L: np.ndarray, d: np.ndarray, fixed: np.ndarray, *, mu: float = MU, sigma_floor: float = SIGMA_FLOOR,
          sigma_cap: float = SIGMA_CAP, steps: int = ITERATIONS, x0: np.ndarray | None = None,
          coarse_fix: float = COARSE_FIX) -> np.ndarray:
    """The field C x h x w equal to ``d`` (C x h x w, usually the ab correction) where ``fixed`` (h x w bool),
    spread edge-aware; the C channels share one system (one factorisation / one CG run with C right-hand sides).

    ``x0`` (C x h x w), when given, replaces the coarse-to-fine start."""
    import scipy.sparse.linalg as spl

    h, w = L.shape
    c = d.shape[0]
    A, b, inv_diag = _system(L, d, fixed, mu, sigma_floor, sigma_cap)
    if x0 is None and min(h, w) <= DIRECT_SIDE:
        return spl.splu(A.tocsc()).solve(b).T.reshape(c, h, w).astype(np.float32)
    if x0 is None:
        hc, wc = (h + 1) // 2, (w + 1) // 2
        cover = _down(fixed, (hc, wc))
        dc = np.stack([_down(d[i] * fixed, (hc, wc)) for i in range(c)]) / np.maximum(cover, 1e-6)
        # The same problem on the half-size grid (mu per pixel scales with its area): its solution, upsampled,
        # is the start, so the CG steps here only remove local error.
        xc = solve(_down(L, (hc, wc)), dc, cover >= coarse_fix, mu=mu * (h * w) / (hc * wc),
                   sigma_floor=sigma_floor, sigma_cap=sigma_cap, steps=steps, coarse_fix=coarse_fix)
        x0 = np.stack([cv2.resize(xc[i], (w, h), interpolation=cv2.INTER_LINEAR) for i in range(c)])
    x = x0.reshape(c, -1).T.astype(np.float64)
    hm = fixed.ravel()
    x[hm] = b[hm]  # exact on hint pixels whatever the start; CG keeps them (their rows are identity rows)
    return _pcg(A, b, inv_diag, x, steps).T.reshape(c, h, w).astype(np.float32)


def hint_gains(ab_pred: np.ndarray, target: np.ndarray, fixed: np.ndarray, min_chroma: float = GAIN_MIN_CHROMA,
               limits: tuple[float, float] = GAIN_RANGE) -> tuple[np.ndarray, np.ndarray]:
    """(gain h x w, sure h x w bool): on the held pixels where the prediction has chroma of at least
    ``min_chroma`` (its direction means something there), the chroma gain that best maps it onto the hint
    (least squares in the ab plane: the hint's ab projected on the predicted ab, clipped to ``limits``); 1
    elsewhere."""
    pp = np.einsum("chw,chw->hw", ab_pred, ab_pred)
    pt = np.einsum("chw,chw->hw", ab_pred, target)
    sure = fixed & (pp >= min_chroma ** 2)
    g = np.ones(fixed.shape, np.float32)
    g[sure] = np.clip(pt[sure] / pp[sure], *limits)
    return g, sure


def spread(ab_pred: np.ndarray, L: np.ndarray, target: np.ndarray, fixed: np.ndarray, *,
           gain: tuple[float, float, float] | None = (GAIN_MIN_CHROMA, *GAIN_RANGE), **solver) -> np.ndarray:
    """``ab_pred`` (2 x h x w) corrected edge-aware so that it is ``target`` where ``fixed``.

    First a chroma gain G, spread from the held pixels where the network has a colour to scale (``hint_gains``):
    where its hue is right the hint scales its colours (a muted coat becomes as vivid as the hint all along it,
    its gray lining stays gray), where it is wrong the gain falls towards 0. Then the additive correction D
    that makes the held pixels exactly the hint's ab, spread from all of them. Result: ab * (1 + G) + D.
    (Holding G at 1 on the low-chroma hint pixels, to solve both in one system, lost half the gain's benefit.)

    ``gain`` is (min chroma, lowest, highest gain), None for the additive correction alone; ``solver`` are
    keyword arguments of :func:`solve` (mu, sigma_floor, sigma_cap). Both are there for tools/tune_hints.py:
    the app and the CLI use the defaults.
    """
    fixed = np.asarray(fixed, bool)
    if not fixed.any():
        return ab_pred
    if gain is not None:
        g, sure = hint_gains(ab_pred, target, fixed, gain[0], gain[1:])
        if sure.any():
            ab_pred = ab_pred * (1.0 + solve(L, (g - 1.0)[None], sure, **solver))
    d = np.where(fixed[None], target - ab_pred, 0.0)
    return np.clip(ab_pred + solve(L, d, fixed, **solver), -AB_NORM, AB_NORM).astype(np.float32)
