"""The library's exceptions: one base class, one subclass per kind of bad input."""

from __future__ import annotations


class YantraError(Exception):
    """Base class of every error yantra-gnn raises on purpose."""


class SourceError(YantraError, ValueError):
    """The source given to the graph builder cannot be turned into a graph."""


class SourceTypeError(YantraError, TypeError):
    """The source is neither ``str`` nor ``bytes``."""


class SourceEncodingError(SourceError):
    """The source bytes are not valid UTF-8."""


class SourceTooLargeError(SourceError):
    """The source is larger than the builder's ``max_source_bytes`` cap."""


class GraphTooLargeError(SourceError):
    """The source's graph has more nodes or edges than the builder's caps allow."""


class EmptySourceError(SourceError):
    """The source is empty or holds only whitespace."""


class CheckpointError(YantraError):
    """A checkpoint or model file is missing, corrupt, of another format or incompatible."""


class DeviceError(YantraError, RuntimeError):
    """The requested torch device is not available on this machine."""


class DatasetError(YantraError):
    """A dataset is missing, malformed or cannot be reached."""


class SandboxError(YantraError, RuntimeError):
    """The sandbox for running untrusted programs cannot be set up on this machine."""


class ConfigError(YantraError, ValueError):
    """A configuration value is out of range or of the wrong type."""


class MissingDependencyError(YantraError, ImportError):
    """An optional dependency is not installed; the message names the extra that has it."""
