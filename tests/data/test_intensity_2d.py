"""The one 2D intensity augmentation (grade models and keypoint model)."""

import torch

from spinexai.data.augment import intensity_2d


def _keypoint_formula(x, contrast, noise_std, generator):
    """The keypoint model's own augmentation before it shared intensity_2d (CT channel, then the heatmap)."""
    ct = x[:, :1].float()
    factor = torch.exp((torch.rand(len(x), 1, 1, 1, generator=generator) * 2 - 1) * contrast)
    mean = ct.mean(dim=(2, 3), keepdim=True)
    ct = (ct - mean) * factor + mean
    ct = ct + torch.randn(ct.shape, generator=generator) * noise_std
    return torch.cat([ct.clamp(0, 1), x[:, 1:].float()], dim=1)


def test_same_draws_and_values_as_the_keypoint_models_former_augmentation():
    x = torch.rand(5, 2, 16, 16, generator=torch.Generator().manual_seed(1))
    ours = intensity_2d(x, 0.2, 0.05, torch.Generator().manual_seed(7))
    theirs = _keypoint_formula(x, 0.2, 0.05, torch.Generator().manual_seed(7))
    assert torch.equal(ours, theirs)


def test_the_heatmap_channel_is_untouched_and_the_image_stays_in_range():
    x = torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    out = intensity_2d(x, 0.5, 0.3, torch.Generator().manual_seed(3))
    assert torch.equal(out[:, -1], x[:, -1]) and out[:, :-1].min() >= 0 and out[:, :-1].max() <= 1
    assert not torch.equal(out[:, :-1], x[:, :-1])
    assert torch.allclose(intensity_2d(x, 0.0, 0.0, torch.Generator()), x, atol=1e-6)  # strengths 0: the identity


def test_one_contrast_and_noise_for_2d_and_3d():
    from spinexai.data.augment import contrast_noise

    x2 = torch.rand(3, 1, 12, 12, generator=torch.Generator().manual_seed(4))
    flat = contrast_noise(x2, 0.3, 0.1, torch.Generator().manual_seed(5), random_sd=True)
    thick = contrast_noise(x2[:, :, None], 0.3, 0.1, torch.Generator().manual_seed(5), random_sd=True)
    assert torch.allclose(flat, thick[:, :, 0]) and not torch.equal(flat, x2)
