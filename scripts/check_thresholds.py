#!/usr/bin/env python3
"""Reference check of runner's threshold statistics against scipy / statsmodels.

    runner analyze reference INPUT.json > ours.json
    python3 scripts/check_thresholds.py INPUT.json ours.json

INPUT.json: {"curves": [{"ratios": [...], "y": [...]}], "cochran": {"estimates": [...],
"se": [...]}, "holm": [p, ...]}. For every deterministic quantity (log-logistic and segmented
fits with r50 / r90 / breakpoint and AICs, Cochran's Q with its p-value and I², Holm-adjusted
p-values) this script computes its own value with scipy / statsmodels and checks that runner's
agrees within 1e-6 (relative to the value's size when it is larger than 1). Exit status 0 when
everything agrees, 1 otherwise, 2 when scipy or statsmodels is missing.
"""

import json
import math
import sys

try:
    import numpy as np
    from scipy import optimize, stats
    from statsmodels.stats.multitest import multipletests
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}", file=sys.stderr)
    sys.exit(2)

TOL = 1e-6
np.seterr(over="ignore")


def ll4(x, b, c, d, m):
    return c + (d - c) / (1.0 + np.exp(b * (x - m)))


def aic(rss, n, k):
    return n * math.log(max(rss, 1e-300) / n) + 2 * k


def retention(b, c, d, e, fraction):
    top = c + (d - c) / (1.0 + math.exp(b * (0.0 - math.log(e))))
    target = fraction * top
    lo, hi = min(c, d), max(c, d)
    if not (lo < target < hi) or b == 0:
        return None
    return math.exp(math.log(e) + math.log((d - c) / (target - c) - 1.0) / b)


def fit_ll4(ratios, y):
    x = np.log(np.asarray(ratios, float))
    y = np.asarray(y, float)
    if len(set(x.tolist())) < 5:
        return None
    # scipy's own start: asymptotes from the data, midpoint in the middle, a falling slope.
    p0 = [-2.0 / (x.max() - x.min()), y.min(), y.max(), float(np.median(x))]
    best = None
    for m0 in np.linspace(x.min(), x.max(), 7):
        for b0 in (-1.0, -3.0, -10.0):
            try:
                p, _ = optimize.curve_fit(
                    ll4, x, y, p0=[b0 / (x.max() - x.min()), p0[1], p0[2], m0],
                    method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, maxfev=200000)
            except RuntimeError:
                continue
            rss = float(np.sum((y - ll4(x, *p)) ** 2))
            if best is None or rss < best[1]:
                best = (p, rss)
    p, rss = best
    b, c, d, m = (float(v) for v in p)
    e = math.exp(m)
    return {"b": b, "c": c, "d": d, "e": e, "rss": rss,
            "r50": retention(b, c, d, e, 0.5), "r90": retention(b, c, d, e, 0.9),
            "aic": aic(rss, len(y), 5)}


def seg_ols(x, y, psi):
    X = np.column_stack([np.ones_like(x), x - psi, np.maximum(x - psi, 0.0)])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return beta, float(np.sum((y - X @ beta) ** 2))


def fit_segmented(ratios, y):
    x = np.log(np.asarray(ratios, float))
    y = np.asarray(y, float)
    xs = sorted(set(x.tolist()))
    if len(xs) < 4:
        return None
    best = (math.inf, None)
    for lo, hi in zip(xs[1:-2], xs[2:-1]):
        res = optimize.minimize_scalar(lambda p: seg_ols(x, y, p)[1], bounds=(lo, hi),
                                       method="bounded", options={"xatol": 1e-14})
        for psi in (lo, hi, float(res.x)):
            r = seg_ols(x, y, psi)[1]
            if r < best[0]:
                best = (r, psi)
    rss, psi = best
    beta, _ = seg_ols(x, y, psi)
    return {"a": beta[0], "slope_below": beta[1], "slope_above": beta[1] + beta[2],
            "breakpoint": math.exp(psi), "rss": rss, "aic": aic(rss, len(y), 5)}


def cochran(estimates, se):
    pairs = [(t, 1.0 / s ** 2) for t, s in zip(estimates, se) if s > 0]
    w = np.array([p[1] for p in pairs])
    t = np.array([p[0] for p in pairs])
    pooled = float(np.sum(w * t) / np.sum(w))
    q = float(np.sum(w * (t - pooled) ** 2))
    df = len(pairs) - 1
    return {"q": q, "df": df, "p": float(stats.chi2.sf(q, df)),
            "i2": max(0.0, (q - df) / q) if q > 0 else 0.0, "pooled": pooled}


def compare(path, ours, theirs, failures):
    if isinstance(theirs, dict):
        for k, v in theirs.items():
            compare(f"{path}.{k}", (ours or {}).get(k), v, failures)
    elif isinstance(theirs, list):
        for i, v in enumerate(theirs):
            compare(f"{path}[{i}]", ours[i] if ours is not None and i < len(ours) else None, v, failures)
    elif theirs is None or ours is None:
        if theirs is not ours:
            failures.append(f"{path}: runner {ours}, reference {theirs}")
    else:
        compare.checked += 1
        diff = abs(float(ours) - float(theirs))
        if diff > TOL * max(1.0, abs(float(theirs))):
            failures.append(f"{path}: runner {ours}, reference {theirs} (difference {diff:.3g})")


def main():
    inputs = json.load(open(sys.argv[1]))
    ours = json.load(open(sys.argv[2]))
    reference = {
        "curves": [{"log_logistic": fit_ll4(c["ratios"], c["y"]),
                    "segmented": fit_segmented(c["ratios"], c["y"]),
                    "constant_aic": aic(float(np.sum((np.array(c["y"]) - np.mean(c["y"])) ** 2)),
                                        len(c["y"]), 2)}
                   for c in inputs.get("curves", [])],
        "holm": [float(v) for v in multipletests(inputs.get("holm", []), method="holm")[1]]
        if inputs.get("holm") else [],
    }
    if inputs.get("cochran"):
        reference["cochran"] = cochran(inputs["cochran"]["estimates"], inputs["cochran"]["se"])
    failures = []
    compare.checked = 0
    compare("", ours, reference, failures)
    checked = compare.checked
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"all {checked} reference values agree within {TOL}")


if __name__ == "__main__":
    main()
