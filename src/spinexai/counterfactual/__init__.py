"""Counterfactual impact analysis (Lenis et al. 2020): a healthy-tissue inpainter and a one-pass attribution network."""
