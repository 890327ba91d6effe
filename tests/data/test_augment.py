import pytest
import torch

from spinexai.data.augment import AugmentParams, augment_batch

ZERO = AugmentParams(0, 0, 0, 0, 0, 0, 0)


def _batch(dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    return torch.rand(3, 1, 12, 14, 10, generator=g).to(dtype)


def test_zero_strength_is_identity():
    x = _batch()
    assert torch.equal(augment_batch(x, ZERO, torch.Generator().manual_seed(1)), x)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_shapes_dtype_and_range(dtype):
    x = _batch(dtype)
    out = augment_batch(x, AugmentParams(noise_std=0.2, contrast=0.5, rotate_deg=30, elastic=0.05),
                        torch.Generator().manual_seed(1))
    assert out.shape == x.shape and out.dtype == dtype
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert not torch.equal(out, x)


def test_each_step_changes_the_batch_and_is_seeded():
    x = _batch()
    for name in ("noise_std", "smooth", "contrast", "rotate_deg", "scale", "translate", "elastic"):
        params = AugmentParams(**{**ZERO.__dict__, name: 0.3 if name != "rotate_deg" else 20.0})
        a = augment_batch(x, params, torch.Generator().manual_seed(5))
        b = augment_batch(x, params, torch.Generator().manual_seed(5))
        assert torch.equal(a, b), name
        assert not torch.allclose(a, x), name
