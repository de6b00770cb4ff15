"""Exceptions raised by the page-extraction functions."""
from __future__ import annotations


class ExtractError(Exception):
    """A body that cannot be turned into a document (binary data, unparsable markup, ...).

    ``str(exc)`` is a one-line reason suitable for a FetchFailure.
    """


class AttachmentError(ExtractError):
    """An attachment file that cannot be read (encrypted, corrupt). ``str(exc)`` is a one-line reason."""
