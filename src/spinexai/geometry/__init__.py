"""Centroid spline, moving frames, and resampling of 3D patches and 2D sagittal reformations."""
