"""Typed errors. Every message names the offending value and the fix."""

from __future__ import annotations


class LimitkitError(Exception):
    """Base class for all limitkit errors (the CLI prints these without a traceback)."""


class DataFormatError(LimitkitError, ValueError):
    """A dataset file is malformed; the message names the file and line."""


class ConfigError(LimitkitError, ValueError):
    """An impossible or inconsistent parameter combination."""


class MissingExtraError(LimitkitError, ImportError):
    """An optional dependency is not installed; the message names the pip command."""


class ResourceError(LimitkitError, MemoryError):
    """A job would not fit in memory/time; the message gives a size that fits."""
