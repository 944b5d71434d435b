"""Errors an analyst can act on. The command line prints their message as one paragraph."""

from __future__ import annotations


class EdstatsError(Exception):
    """Base class: the message says what went wrong, where, and what to do about it."""


class InputError(EdstatsError):
    """A data file or folder cannot be read as the data contract requires."""


class ValidationFailed(EdstatsError):
    """Input data broke one or more contract rules; ``problems`` lists every one."""

    def __init__(self, message: str, problems):
        super().__init__(message)
        self.problems = problems


class NotebookFailed(EdstatsError):
    """A paper's notebook raised an error while papermill executed it."""


class SettingsError(EdstatsError):
    """edstats.yml (or a command-line option) holds a value edstats cannot use."""
