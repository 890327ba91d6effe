"""The one rule that brings a mask onto a coarser grid."""

import numpy as np

from spinexai.data.regions import downsample_mask


def test_a_pixel_is_in_the_region_when_at_least_half_of_it_is():
    region = np.zeros((8, 8), bool)
    region[0:2, 0:2] = True      # the whole of coarse pixel (0, 0)
    region[2, 2:4] = True        # half of coarse pixel (1, 1)
    region[4, 4] = True          # a quarter of coarse pixel (2, 2)
    coarse = downsample_mask(region, (4, 4))
    assert coarse[0, 0] and coarse[1, 1] and not coarse[2, 2] and coarse.sum() == 2
    volume = np.zeros((4, 4, 4), bool)
    volume[:2, :2, :1] = True    # half of coarse voxel (0, 0, 0)
    assert downsample_mask(volume, (2, 2, 2)).sum() == 1
    assert downsample_mask(volume, (4, 4, 4)).sum() == 4   # the same grid: unchanged
