"""Explanations of the trained models: network dissection and its concept labels."""
