#!/usr/bin/env python3
"""Reference values for calibration maps and estimated performance (src/stats/calibrate.rs,
src/analysis/estimated.rs).

Writes testdata/fixtures/estimated_stats.json with inputs and outputs, so `cargo test`
needs no Python:

    pip install -r scripts/requirements.txt       # numpy, scikit-learn, statsmodels
    pip install nannyml==0.13.1                   # in its own venv if you like (pandas 2)
    python3 scripts/fixtures_estimated.py

* `isotonic`: scikit-learn's `IsotonicRegression(out_of_bounds="clip")` fitted on scores
  (with ties) and labels, predicted on a grid that includes points outside the fitted range.
* `platt`: statsmodels' `Logit(label, [1, logit(score)])` maximum-likelihood parameters.
* `cbpe`: NannyML's CBPE (isotonic calibration on the reference, one chunk) estimates of
  roc_auc, recall (sensitivity), specificity and precision (PPV) on an analysis set whose
  cases moved toward a group where the model is weaker; our estimates must agree within 0.01.
  The reference scores are deliberately miscalibrated (score = p^1.6), so NannyML does
  calibrate (it skips calibration when it would not lower the ECE) and both sides use the
  same isotonic map.

Seeded; running twice gives the same file (given the pinned versions).
"""

import json
import math
import os

import numpy as np
from sklearn.isotonic import IsotonicRegression
import statsmodels.api as sm

OUT = os.path.join(os.path.dirname(__file__), "..", "testdata", "fixtures", "estimated_stats.json")


def population(rng, n, weak_share):
    """Latent risk p; a 'weak' group (thick slices) where the score carries less signal."""
    weak = rng.random(n) < weak_share
    z = rng.normal(0, 1, n)
    p = 1 / (1 + np.exp(-(1.8 * z - 1.4)))
    label = rng.random(n) < p
    # The model sees p blurred, more so in the weak group.
    noise = np.where(weak, 1.6, 0.6)
    logit = np.log(p / (1 - p)) + rng.normal(0, 1, n) * noise
    score = (1 / (1 + np.exp(-logit))) ** 1.6
    return np.round(score, 4), label


def main():
    rng = np.random.default_rng(20261201)
    out = {}

    iso = []
    for name, n in [("ties-200", 200), ("dense-2000", 2000)]:
        s, y = population(rng, n, 0.3)
        s = np.round(s, 2 if n == 200 else 4)
        model = IsotonicRegression(out_of_bounds="clip").fit(s, y.astype(float))
        grid = np.concatenate([[-0.1, 0.0], np.linspace(0, 1, 41), [1.0, 1.2], s[:15]])
        iso.append({"name": name, "scores": s.tolist(), "labels": y.astype(int).tolist(),
                    "grid": grid.tolist(), "predicted": model.predict(grid).tolist()})
    out["isotonic"] = iso

    platt = []
    for name, n in [("n-300", 300), ("n-3000", 3000)]:
        s, y = population(rng, n, 0.3)
        t = np.log(np.clip(s, 1e-6, 1 - 1e-6) / (1 - np.clip(s, 1e-6, 1 - 1e-6)))
        fit = sm.Logit(y.astype(float), sm.add_constant(t)).fit(disp=0, tol=1e-12, maxiter=200)
        platt.append({"name": name, "scores": s.tolist(), "labels": y.astype(int).tolist(),
                      "intercept": float(fit.params[0]), "slope": float(fit.params[1])})
    out["platt"] = platt

    try:
        import nannyml as nml
        import pandas as pd
    except ImportError:
        nml = None
    cbpe = []
    if nml is not None:
        for name, share in [("shift-to-weak", 0.7), ("no-shift", 0.3)]:
            rs, ry = population(rng, 3000, 0.3)
            as_, ay = population(rng, 1500, share)
            ref = pd.DataFrame({"score": rs, "pred": (rs >= 0.3).astype(int), "label": ry.astype(int)})
            ana = pd.DataFrame({"score": as_, "pred": (as_ >= 0.3).astype(int)})
            est = nml.CBPE(y_pred_proba="score", y_pred="pred", y_true="label",
                           metrics=["roc_auc", "recall", "specificity", "precision"],
                           chunk_number=1, problem_type="classification_binary")
            est.fit(ref)
            res = est.estimate(ana).filter(period="analysis").to_df()
            value = lambda m: float(res[(m, "value")].iloc[0])
            realized_sens = float(((as_ >= 0.3) & ay).sum() / ay.sum())
            cbpe.append({
                "name": name,
                "reference_scores": rs.tolist(), "reference_labels": ry.astype(int).tolist(),
                "analysis_scores": as_.tolist(), "threshold": 0.3,
                "nannyml": {"auroc": value("roc_auc"), "sensitivity": value("recall"),
                            "specificity": value("specificity"), "ppv": value("precision")},
                "nannyml_version": nml.__version__,
                "realized_sensitivity": realized_sens,
            })
    out["cbpe"] = cbpe

    with open(OUT, "w") as f:
        json.dump(out, f)
        f.write("\n")
    print(f"wrote {OUT}: {len(iso)} isotonic, {len(platt)} platt, {len(cbpe)} cbpe cases")


if __name__ == "__main__":
    main()
