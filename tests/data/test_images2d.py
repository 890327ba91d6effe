import numpy as np
import pandas as pd
import torch

from spinexai.data.images2d import ImageSet
from spinexai.geometry.reformat import ReformatParams


def test_subset_keeps_rows_images_and_targets_aligned():
    rows = pd.DataFrame({"subject": list("abcd"), "label": [20, 21, 22, 23]})
    data = ImageSet(rows, torch.arange(4.0).view(4, 1, 1, 1), torch.tensor([0, 1, 0, 2]))
    part = data.subset(np.array([False, True, False, True]))
    assert part.rows["subject"].tolist() == ["b", "d"] and part.rows.index.tolist() == [0, 1]
    assert part.x.flatten().tolist() == [1.0, 3.0] and part.y.tolist() == [1, 2]
    assert len(data.subset(torch.zeros(4, dtype=torch.bool)).x) == 0


def test_sagittal_pixel_mm_from_the_reformat_section():
    assert ReformatParams(sagittal_size=224, sagittal_spacing_mm=0.5).sagittal_pixel_mm(112) == 1.0
    assert ReformatParams(sagittal_size=128, sagittal_spacing_mm=0.5).sagittal_pixel_mm(32) == 2.0
