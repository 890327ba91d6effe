"""Genant morphometry on CT: six-point heights from masks in the mid-sagittal reformation."""
