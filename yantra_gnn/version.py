"""The library version, saved into every checkpoint and model file."""

__version__ = "0.1.0"
