"""Dataset ingest, manifests and patient-level folds."""
