"""The browsable results report (static HTML over results/)."""
