"""Engstler et al. 2022: the 3D fracture classifier (:mod:`.classifier`) and the network dissection of its
units against anatomical concepts (:mod:`.dissection`)."""
