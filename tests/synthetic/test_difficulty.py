"""Honest difficulty: global intensity statistics of a patch must not give the fracture away."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from spinexai.geometry.sampling import grid_affine, resample_affine
from spinexai.geometry.spline import fit_spine_curve
from spinexai.labels import spine_order
from spinexai.synthetic.params import SyntheticParams
from spinexai.synthetic.render import render_subject


def test_intensity_statistics_do_not_separate_fractures():
    params = SyntheticParams(n_subjects=30, seed=99, fracture_prevalence=0.2, inplane_spacing_mm=(0.9, 1.2),
                             slice_spacing_mm=(1.5, 2.5), fov_lateral_mm=(110, 120), fov_ap_mm=(110, 120))
    features, labels = [], []
    for index in range(params.n_subjects):
        rendered = render_subject(params, index)
        order = sorted(rendered.centroids, key=spine_order)
        curve = fit_spine_curve(np.array([rendered.centroids[k] for k in order]))
        plans = {p.label: p for p in rendered.plans}
        for label in order:
            centre = rendered.centroids[label]
            frame = curve.frame(np.array(curve.arc_length_of(centre)))
            affine = grid_affine(centre, frame, (64,) * 3, (1.0,) * 3)
            patch = resample_affine(rendered.canvas.hu, rendered.canvas.affine, affine, (64,) * 3, order=1, cval=-1024)
            hu = np.clip(patch, -1000, 1000).ravel()
            features.append([hu.mean(), hu.std(), *np.percentile(hu, [5, 25, 50, 75, 95])])
            labels.append(bool(plans[label].fracture))
    y = np.array(labels)
    assert 30 < y.sum() < len(y) - 30
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    scores = cross_val_predict(model, np.array(features), y, cv=StratifiedKFold(5, shuffle=True, random_state=0),
                               method="predict_proba")[:, 1]
    auc = roc_auc_score(y, scores)
    print(f"intensity-statistics AUC: {auc:.3f} on {len(y)} vertebrae ({y.sum()} fractured)")
    assert auc < 0.8
