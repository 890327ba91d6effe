"""spinexai: interpretable vertebral fracture diagnosis from spine CT."""

__version__ = "0.1.0"
