"""One training engine for every model of the pipeline."""

from spinexai.train.engine import Engine, EngineConfig, pick_device

__all__ = ["Engine", "EngineConfig", "pick_device"]
