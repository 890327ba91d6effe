"""Network dissection of the 3D fracture classifier (Engstler et al. 2022): units, concept labels, the stage
the rules run, figures, and the 3D Grad-CAM shown beside it."""
