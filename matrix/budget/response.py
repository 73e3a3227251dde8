"""Saturating response curves (Hill with adstock carry-over) and their posterior.

Model: daily earnings y_t = a * g(A_t) + noise, with A_t the normalised adstock of spend
(A_t = (1 - theta) * x_t + theta * A_{t-1}, so a steady spend x gives A = x) and
g(A) = A^s / (A^s + k^s). s <= 1 is concave, s > 1 S-shaped.

Why a grid posterior instead of a point fit: Hill fits are badly identified when history covers a
narrow spend range, and the allocation should know that. For each (theta, k, s) on a grid the
amplitude `a` enters linearly, so its posterior (flat prior, unknown noise) is closed-form and the
marginal likelihood of each grid point is exact. That gives posterior weights over curve shapes
(uncertainty), a posterior-mean curve (what the optimizer maximises) and cheap exact samples
(what Thompson sampling draws), all vectorised with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


def hill(x: np.ndarray | float, a: float | np.ndarray, k: float | np.ndarray, s: float | np.ndarray) -> np.ndarray:
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    xs = np.power(x, s)
    return a * xs / (xs + np.power(k, s))


def adstock(spend: np.ndarray, theta: float, initial: float | None = None) -> np.ndarray:
    """Normalised geometric adstock; `initial` is the carried-over level before day 0 (default: x_0)."""
    spend = np.asarray(spend, dtype=float)
    out = np.empty_like(spend)
    level = spend[0] if (initial is None and spend.size) else (initial or 0.0)
    for t, x in enumerate(spend):
        level = (1 - theta) * x + theta * level
        out[t] = level
    return out


@dataclass
class HillCurve:
    """One known curve (steady state: spend -> expected daily earnings)."""

    a: float
    k: float
    s: float
    theta: float = 0.0

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        return hill(x, self.a, self.k, self.s)

    def marginal(self, x: np.ndarray | float, h: float = 1e-3) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        step = np.maximum(h * np.maximum(x, 1.0), 1e-6)
        return (self(x + step) - self(np.maximum(x - step, 0))) / (x + step - np.maximum(x - step, 0))


@dataclass
class MixtureCurve:
    """Posterior-mean curve: a weighted sum of Hill curves (vectorised over x)."""

    w: np.ndarray
    a: np.ndarray
    k: np.ndarray
    s: np.ndarray

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        vals = hill(x[..., None], self.a, self.k, self.s)
        return vals @ self.w

    def marginal(self, x: np.ndarray | float, h: float = 1e-3) -> np.ndarray:
        return HillCurve.marginal(self, x, h)  # type: ignore[arg-type]


@dataclass
class HillPosterior:
    """Posterior over (theta, k, s, a) on a grid; `a | grid point` is normal(a_mean, a_sd)."""

    theta: np.ndarray
    k: np.ndarray
    s: np.ndarray
    weight: np.ndarray
    a_mean: np.ndarray
    a_sd: np.ndarray
    n_obs: int
    spend_range: tuple[float, float]
    # The same model fitted on the campaign's active days only (from its first day with spend or earnings on), set by
    # `fit_hill` when the data start with days before the campaign ran; what a plan's interval is drawn from
    # (`safe.interval_posterior`). Plans use this posterior itself, so they do not depend on it (session 11).
    interval: HillPosterior | None = field(default=None, repr=False, compare=False)

    def mean_curve(self, min_weight: float = 1e-4) -> MixtureCurve:
        keep = self.weight >= min(min_weight, self.weight.max())
        w = self.weight[keep] / self.weight[keep].sum()
        return MixtureCurve(w, self.a_mean[keep], self.k[keep], self.s[keep])

    def map_curve(self) -> HillCurve:
        i = int(np.argmax(self.weight))
        return HillCurve(float(self.a_mean[i]), float(self.k[i]), float(self.s[i]), float(self.theta[i]))

    def sample_curves(self, n: int, rng: np.random.Generator) -> list[HillCurve]:
        idx = rng.choice(self.weight.size, size=n, p=self.weight)
        a = np.maximum(rng.normal(self.a_mean[idx], self.a_sd[idx]), 0.0)
        return [HillCurve(float(a[j]), float(self.k[i]), float(self.s[i]), float(self.theta[i])) for j, i in enumerate(idx)]

    def predictive(self, x: np.ndarray | float, n: int = 200, rng: np.random.Generator | None = None) -> np.ndarray:
        """Samples of the expected earnings at spend x (shape (n, len(x))): the curve uncertainty."""
        rng = rng or np.random.default_rng(0)
        x = np.atleast_1d(np.asarray(x, dtype=float))
        return np.stack([c(x) for c in self.sample_curves(n, rng)])

    @property
    def theta_mean(self) -> float:
        return float(self.weight @ self.theta)


# The largest amplitude (earnings at saturation) a fit may state, as a multiple of the largest daily earnings seen (at
# least 1 currency unit). A plausible amplitude is at most a few thousand times that (a campaign seen far below its
# saturation point); 1e12 is far beyond anything plausible. Without a bound, a level estimated after a change-point
# from days with (almost) no spend (a campaign that stopped, or one a weekly loop cut to a few % of its history: sealed6
# world 11) comes out near the float limit (1e290 measured) and squaring its draws overflows downstream (inf in the
# plan's risk terms, RuntimeWarnings). The bound changes nothing where the data pin the level.
AMPLITUDE_CAP = 1e12

# Session 11 (plans on active days, docs/budget.md): whether the posterior `fit_hill` returns for a campaign whose data
# start with days before it ran (`leading_idle_days`) is its fit on the active days only (True), or the fit on every
# day carrying the active-days fit as `.interval` for the plan's interval alone (False, session 11: interval).
PLANS_ON_ACTIVE_DAYS = False

DEFAULT_THETAS = (0.0, 0.2, 0.4, 0.6)
DEFAULT_SHAPES = (0.5, 0.7, 0.85, 1.0, 1.25, 1.5, 1.8, 2.2, 2.7, 3.3)


def fit_hill(
    spend: np.ndarray,
    earnings: np.ndarray,
    *,
    thetas: tuple[float, ...] = DEFAULT_THETAS,
    shapes: tuple[float, ...] = DEFAULT_SHAPES,
    k_points: int = 40,
    k_span: tuple[float, float] = (0.05, 20.0),
    half_life_days: float | None = None,
    temperature: float = 1.0,
    k_prior_sd: float | None = None,
    level_half_life_days: float | None = None,
    changepoint: bool = False,
    k_prior_floor: float | None = None,
    s_curve_k_sd: float | None = None,
    active_days: bool | None = None,
) -> HillPosterior:
    """Grid posterior of a Hill-with-adstock curve given daily spend and earnings.

    k is gridded relative to the median positive spend (k_span), so the grid adapts to scale.
    `half_life_days` down-weights old days (drift); `temperature` > 1 flattens the posterior
    (more exploration for Thompson sampling). `k_prior_sd` puts a log-normal prior on the
    half-saturation point centred on the highest observed spend: without it a history that never
    reached saturation is best explained by "linear forever" (huge k and a), the optimistic
    extrapolation that wrecks plans; with it, saturation just beyond the data stays plausible.
    `level_half_life_days` re-estimates the amplitude `a` (the level) from recent days only, with
    the shape still learnt from the whole window: a change-point moves the level, and a closed loop
    that holds spend constant for a week still tells the level at that spend, not the shape.
    `changepoint=True` also considers one level shift (same shape, amplitude a1 before day tau and
    a2 after, tau on a weekly grid): kept when it beats the no-shift model by a BIC-like margin;
    then the shape is learnt from both segments and the level from the last one. Without it a shift
    is misread as curvature, which misleads every allocation that moves away from the played spend.
    `k_prior_floor` (a spend): the k prior is centred on max(highest observed spend, this floor). A campaign
    that only ever ran far below the budget's natural scale (its equal share) has not shown where it
    saturates; centring the prior on its own small highest spend would assert "saturation right after the
    data" and pin it where it was. The floor keeps that prior honest without moving well-covered campaigns.
    `s_curve_k_sd` (a saturation prior, session 10): S-shaped grid points (s > 1) whose half-saturation point
    lies beyond the k prior's centre pay an extra one-sided log-normal penalty of this sd (`s_curve_penalty`).
    When the data start with days before the campaign ran (`leading_idle_days`), the returned posterior also carries
    `.interval`: the same fit on the active days only, which a plan's interval is drawn from (session 11); the
    posterior itself, which plans use, is fitted on every day as before.
    """
    x = np.asarray(spend, dtype=float)
    y = np.asarray(earnings, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or not (x > 0).any():
        raise ValueError(f"need at least 3 days with spend to fit a response curve, got {x.size}")
    kw: dict[str, Any] = dict(thetas=thetas, shapes=shapes, k_points=k_points, k_span=k_span, half_life_days=half_life_days,
              temperature=temperature, k_prior_sd=k_prior_sd, level_half_life_days=level_half_life_days,
              changepoint=changepoint, k_prior_floor=k_prior_floor, s_curve_k_sd=s_curve_k_sd)
    lead = leading_idle_days(x, y)
    if lead > 0 and x.size - lead >= 3:
        active = _fit_hill(x[lead:], y[lead:], **kw)
        if PLANS_ON_ACTIVE_DAYS if active_days is None else active_days:
            return active  # plans and their interval both use the active-days fit (no `.interval`)
        post = _fit_hill(x, y, **kw)
        post.interval = active
        return post
    return _fit_hill(x, y, **kw)


def leading_idle_days(spend: np.ndarray, earnings: np.ndarray) -> int:
    """How many days the data hold before the campaign ran: leading days with neither spend nor earnings (before its
    first day with either). A late-launched campaign's history is mostly such days.

    Why they matter (session 11, docs/budget.md): such a day is fitted exactly by every curve (no spend, no adstock,
    no earnings), so it says nothing about the curve, yet `_fit_hill` counts it as an observation: in the noise
    variance (rss / days) and in the effective number of days of the shape likelihood. A campaign launched 12 days
    before the end of a 49-day history is then read as if 49 days had pinned it, and its posterior is about
    sqrt(49 / 12) = 2x too narrow. Measured on the default plans of 36 worlds per family: the 80 % interval of a
    late-launched campaign (active on under half the history) held its truth in 60-83 % of them (earnings-weighted,
    per family; 83-92 % for the other campaigns), the truth below it in 12-31 %, and the plans give such campaigns 12-24 % of
    their earnings; fitted on their active days they hold it in 87-96 %."""
    x = np.asarray(spend, dtype=float)
    y = np.asarray(earnings, dtype=float)
    active = np.flatnonzero((x != 0) | (y != 0))
    return int(active[0]) if active.size else int(x.size)


def _fit_hill(x: np.ndarray, y: np.ndarray, *, thetas: tuple[float, ...], shapes: tuple[float, ...], k_points: int,
              k_span: tuple[float, float], half_life_days: float | None, temperature: float, k_prior_sd: float | None,
              level_half_life_days: float | None, changepoint: bool, k_prior_floor: float | None,
              s_curve_k_sd: float | None) -> HillPosterior:
    """`fit_hill` on finite data with at least 3 days and some spend: the grid posterior itself."""
    T = x.size
    wt = np.ones(T) if not half_life_days else 0.5 ** ((T - 1 - np.arange(T)) / half_life_days)
    n_eff = wt.sum() ** 2 / (wt ** 2).sum()
    med = float(np.median(x[x > 0]))
    ks = med * np.geomspace(k_span[0], k_span[1], k_points)
    th, kk, ss = np.meshgrid(np.asarray(thetas), ks, np.asarray(shapes), indexing="ij")
    th, kk, ss = th.ravel(), kk.ravel(), ss.ravel()
    ads = np.stack([adstock(x, t) for t in thetas])  # (n_theta, T)
    ti = np.repeat(np.arange(len(thetas)), len(ks) * len(shapes))
    A = ads[ti]  # (H, T)
    G = hill(A, 1.0, kk[:, None], ss[:, None])
    gw = G * wt
    gg = np.maximum((gw * G).sum(1), 1e-300)
    gy = (gw * y).sum(1)
    a_hat = np.maximum(gy / gg, 0.0)
    rss = np.maximum((wt * y * y).sum() - 2 * a_hat * gy + a_hat ** 2 * gg, 1e-12 * max((wt * y * y).sum(), 1e-12))
    scale = n_eff / T
    # The amplitude is integrated out under a flat prior on the *level at the observed spends* (G scaled
    # to unit weighted mean square), not on `a` itself: a flat prior on `a` adds -log|G| and so rewards
    # shapes whose G is tiny in the data (huge k, steep s), i.e. it invents convex curvature where the
    # data only pin the level. With the scale-free prior that term is the same for every grid point.
    loglik = (-(n_eff - 1) / 2 * np.log(rss) - 0.5 * np.log(wt.sum() * scale)) / temperature
    shift = _level_shift(G, y, wt, n_eff, scale, temperature, loglik) if changepoint and T >= 28 else None
    if shift is not None:
        loglik, a_hat, a_sd_shift = shift
    if k_prior_sd:
        centre = max(float(np.max(x)), float(k_prior_floor or 0.0))
        loglik = loglik - 0.5 * (np.log(kk / centre) / k_prior_sd) ** 2
    if s_curve_k_sd:
        loglik = loglik - s_curve_penalty(kk, ss, max(float(np.max(x)), float(k_prior_floor or 0.0)), s_curve_k_sd)
    w = np.exp(loglik - loglik.max())
    w /= w.sum()
    sigma2 = rss / max(wt.sum() - 1, 1.0)
    a_sd = np.sqrt(sigma2 / gg) * np.sqrt(temperature)
    if shift is not None:
        a_sd = a_sd_shift
    elif level_half_life_days:
        w2 = 0.5 ** ((T - 1 - np.arange(T)) / level_half_life_days)
        gw2 = G * w2
        gg2 = np.maximum((gw2 * G).sum(1), 1e-300)
        a2 = np.maximum((gw2 * y).sum(1) / gg2, 0.0)
        rss2 = np.maximum((w2 * y * y).sum() - 2 * a2 * (gw2 * y).sum(1) + a2 ** 2 * gg2, 0.0)
        s2 = np.maximum(rss2 / max(w2.sum() - 1, 1.0), sigma2)
        a_hat, a_sd = a2, np.sqrt(s2 / gg2) * np.sqrt(temperature)
    cap = AMPLITUDE_CAP * max(float(np.max(np.abs(y))), 1.0)  # finite draws: see AMPLITUDE_CAP
    a_hat, a_sd = np.minimum(a_hat, cap), np.minimum(a_sd, cap)
    return HillPosterior(th, kk, ss, w, a_hat, a_sd, int(T), (float(x.min()), float(x.max())))


def s_curve_penalty(k: np.ndarray, s: np.ndarray, centre: float, sd: float) -> np.ndarray:
    """Negative log prior of the saturation prior: 0.5 * (log(k / centre) / sd) ** 2 for S-shaped grid points (s > 1)
    whose k lies beyond `centre` (the k prior's centre: the highest observed spend or the budget's natural scale),
    0 elsewhere.

    Why (docs/budget.md, session 10): the data pin a campaign's elasticity at its highest spend, not how k and s
    share it. A high elasticity there (near or above 1: returns still accelerating) fits a steep S-curve saturating just
    after the data and, about as well, a mild S-curve with k many times beyond it that stays convex far out; under a
    flat prior on s and a wide one on k the second kind carries much of the weight, and the posterior-mean marginal
    return beyond the data comes out several times the truth. At the loop's week 2 the campaigns with the highest
    fitted elasticity at their newest edge had a true k / edge of 0.9-1.3 against a fitted 1.5-3.2, and the plan
    over-funded them. Concave shapes (s <= 1) are left alone: their large-k draws are near-linear, not accelerating.
    """
    pen = np.where(s > 1.0, np.maximum(np.log(k / centre), 0.0) / sd, 0.0)
    return 0.5 * pen ** 2


def _level_shift(G: np.ndarray, y: np.ndarray, wt: np.ndarray, n_eff: float, scale: float, temperature: float,
                 loglik0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Best single level shift (weekly candidate days, >= 14 days before and 7 after) for every grid
    point at once via cumulative sums; returns (loglik, a_after, a_sd_after) or None if no shift wins."""
    T = y.size
    cgg = np.cumsum(G * G * wt, axis=1)
    cgy = np.cumsum(G * y * wt, axis=1)
    cyy = np.cumsum(wt * y * y)
    tot_gg, tot_gy, tot_yy = cgg[:, -1], cgy[:, -1], cyy[-1]
    base = float(np.log(np.exp(loglik0 - loglik0.max()).sum()) + loglik0.max())
    best = None
    for tau in range(14, T - 6, 7):
        g1, y1 = np.maximum(cgg[:, tau - 1], 1e-300), cgy[:, tau - 1]
        g2, y2 = np.maximum(tot_gg - cgg[:, tau - 1], 1e-300), tot_gy - cgy[:, tau - 1]
        a1, a2 = np.maximum(y1 / g1, 0), np.maximum(y2 / g2, 0)
        # -2*a*y + a*a*g == -a*y for a = max(y/g, 0); written without the square, which overflows when g is tiny
        rss = tot_yy - a1 * y1 - a2 * y2
        rss = np.maximum(rss, 1e-12 * max(tot_yy, 1e-12))
        w1 = float(np.cumsum(wt)[tau - 1])  # scale-free level priors per segment, as in fit_hill
        ll = (-(n_eff - 2) / 2 * np.log(rss) - 0.5 * np.log(w1 * scale) - 0.5 * np.log((wt.sum() - w1) * scale)) / temperature
        m = float(np.log(np.exp(ll - ll.max()).sum()) + ll.max())
        if best is None or m > best[0]:
            best = (m, ll, a2, np.sqrt(rss / max(wt.sum() - 2, 1.0) / g2) * np.sqrt(temperature))
    if best is None or best[0] - base < np.log(T) + 2.0:
        return None
    return best[1], best[2], best[3]
