"""The counterfactual stage's evaluation on its own: weak localisation, Hausdorff distance, the baselines'
percentile maps, the localisation table and the inpainter's domain test."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from spinexai.counterfactual.domain import domain_test
from spinexai.counterfactual.evaluate import evaluate_attribution_fold
from spinexai.counterfactual.localisation import (
    component_median_hausdorff_mm,
    hausdorff_mm,
    localisation_table,
    weak_localisation,
)
from spinexai.counterfactual.maps import binary_maps
from spinexai.counterfactual.params import CounterfactualParams
from spinexai.data.images2d import ImageSet
from spinexai.errors import InputError
from spinexai.geometry.reformat import ReformatParams


def _square(r0, c0, size=4, shape=(16, 16)):
    m = np.zeros(shape, bool)
    m[r0:r0 + size, c0:c0 + size] = True
    return m


def test_weak_localisation_counts_matched_ground_truth_boxes():
    truth = _square(2, 2) | _square(10, 10)
    assert weak_localisation(_square(2, 2), truth, 0.5) == 0.5          # one of two components matched
    assert weak_localisation(truth, truth, 0.5) == 1.0
    assert weak_localisation(_square(2, 5), _square(2, 2), 0.5) == 0.0  # IoU 1/7: not matched
    assert np.isnan(weak_localisation(truth, np.zeros_like(truth), 0.5))


def test_hausdorff_is_in_millimetres_and_nan_for_an_empty_map():
    assert hausdorff_mm(_square(2, 5), _square(2, 2), spacing=2.0) == pytest.approx(6.0)
    assert np.isnan(hausdorff_mm(np.zeros((16, 16), bool), _square(2, 2), 1.0))


def test_component_median_hausdorff_takes_the_median_over_component_pairs():
    truth = np.zeros((32, 32), bool)
    truth[2:4, 2:4] = truth[2:4, 22:24] = True   # two lesions 20 px apart
    found = np.zeros_like(truth)
    found[2:4, 2:4] = True                       # the map covers the first only
    # pairs: (first, map) 0 and (second, map) 20 px (MONAI: between edge pixels) -> median 10
    assert component_median_hausdorff_mm(found, truth, 1.0) == pytest.approx(10.0)
    assert hausdorff_mm(found, truth, 1.0) == pytest.approx(20.0)
    assert np.isnan(component_median_hausdorff_mm(np.zeros_like(truth), truth, 1.0))


def test_baselines_are_binarised_at_percentiles_of_their_values_inside_the_body():
    ramp = torch.arange(256, dtype=torch.float32).view(1, 16, 16)
    body = np.zeros((1, 16, 16), bool)
    body[0, 8:] = True  # the lower half: values 128..255
    maps = binary_maps({"ours": ramp / 255, "gradcam": ramp, "saliency": -ramp}, body, 0.9, (50, 90))
    assert maps["ours"].sum() == (ramp / 255 > 0.9).sum().item()
    assert maps["gradcam_p50"].sum() == 64 and maps["gradcam_p90"].sum() == 13  # top half / top tenth of the body's
    assert maps["saliency_p90"].sum() > 128  # percentiles of the body's values, applied to the whole image


def test_localisation_table_has_a_row_per_case_with_a_target_and_method():
    rows = pd.DataFrame({"subject": ["a", "b"], "label": [20, 21], "level": ["L1", "L2"], "grade": [2, 0]})
    target = np.stack([_square(2, 2), np.zeros((16, 16), bool)])
    binaries = {"ours": np.stack([_square(2, 2), _square(0, 0)]), "gradcam_p50": np.zeros((2, 16, 16), bool)}
    table = localisation_table(rows, binaries, target, np.ones((2, 16, 16), bool), 1.0, 0.5, "fracture")
    assert list(table["method"]) == ["ours", "gradcam_p50"] and set(table["subject"]) == {"a"}
    ours = table.set_index("method").loc["ours"]
    assert ours.hausdorff_mm == 0 and ours.weak_localisation == 1 and not ours.empty
    assert table.set_index("method").loc["gradcam_p50", "empty"]


class _MeanIntensity(nn.Module):
    """Fracture logit = mean of the image channel inside a fixed square, the evidence region."""

    def forward(self, x):
        evidence = x[:, 0, 4:8, 4:8].mean((1, 2)) * 10 - 5
        return torch.stack([-evidence, evidence], 1)


def _data(n=8, size=16):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 2, size, size, generator=g) * 0.2
    fractured = np.arange(n) % 2 == 1
    x[torch.from_numpy(fractured), 0, 4:8, 4:8] += 0.7
    rows = pd.DataFrame({"subject": [f"s{i}" for i in range(n)], "label": 20, "fracture": fractured})
    region = np.zeros((n, size, size), bool)
    region[fractured, 4:8, 4:8] = True
    return ImageSet(rows, x, torch.as_tensor(fractured.astype(int))), region


def test_domain_test_identity_inpainter_keeps_the_auc_and_a_healthy_fill_removes_the_evidence():
    data, region = _data()
    cf = CounterfactualParams(repetitions=3)
    same = domain_test(data, _MeanIntensity(), lambda image, keep: image, cf, region, torch.device("cpu"))
    table = same.domain.set_index(["condition", "repetition"])
    assert (table.loc["healthy_tissue", "auc"] == table.loc[("original", 0), "auc"]).all()
    assert len(table.loc["healthy_tissue"]) == 3 and (same.quality["hole_l1"] == 0).all()

    healthy = domain_test(data, _MeanIntensity(), lambda image, keep: image * keep + 0.1 * (1 - keep), cf, region,
                          torch.device("cpu")).domain.set_index("condition")
    before, after = healthy.loc["original", "mean_p_fractured"], healthy.loc["fracture_region", "mean_p_fractured"]
    assert before > 0.5 > after  # inpainting the true region as healthy tissue removes the fracture evidence


def test_domain_test_diagnostics_inpaint_the_wide_region_and_the_whole_body():
    data, region = _data()
    body = np.zeros_like(region)
    body[:, 2:10, 2:10] = True
    fill = lambda image, keep: image * keep + 0.1 * (1 - keep)  # noqa: E731
    table = domain_test(data, _MeanIntensity(), fill, CounterfactualParams(repetitions=1), region,
                        torch.device("cpu"), body).domain.set_index("condition")
    assert {"fracture_region_wide", "vertebral_body"} <= set(table.index)
    assert table.loc["vertebral_body", "mean_p_fractured"] < 0.5  # the body holds the evidence square
    assert table.loc["fracture_region_wide", "mean_p_fractured"] < table.loc["original", "mean_p_fractured"]
    without = domain_test(data, _MeanIntensity(), fill, CounterfactualParams(repetitions=1), region,
                          torch.device("cpu")).domain
    assert "vertebral_body" not in set(without["condition"])


def test_attribution_evaluation_refuses_splits_without_vertebrae():
    rows = pd.DataFrame({"subject": ["a"], "label": [20]})
    fold = SimpleNamespace(fold=2, device=torch.device("cpu"), parts={"val": rows, "test": rows.iloc[:0]},
                           cf=CounterfactualParams(evaluate_splits=("test",)))
    with pytest.raises(InputError, match="counterfactual.evaluate_splits.*fold 2: no vertebra in test"):
        evaluate_attribution_fold(fold, "unused.pt", "unused.pt", ReformatParams())
