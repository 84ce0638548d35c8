"""A small error hierarchy. Every message says what went wrong and how to fix it; the CLI
prints `str(error)` as one line and exits non-zero."""

from __future__ import annotations


class RagCouncilError(Exception):
    """Base class. `hint` says how to fix the problem."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        if hint:
            self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(RagCouncilError):
    """A setting is missing or wrong."""


class GeneratorError(RagCouncilError):
    """The answer generator failed while answering: a server's 5xx, a timeout, an unreachable
    server, a local model that crashed. Not a setting to fix (that is ConfigError); try again,
    or answer with another generator."""

    hint = "Try again, or answer with --generator extractive."


class ModelNotFoundError(RagCouncilError):
    """Model weights are not installed where we look for them."""


class LoaderError(RagCouncilError):
    """A file could not be read as a document. Ingest reports it and goes on."""


class UnsupportedFileError(LoaderError):
    pass


class EmptyDocumentError(LoaderError):
    pass


class EncryptedPdfError(LoaderError):
    pass


class CorruptFileError(LoaderError):
    pass


class NoTextError(LoaderError):
    """A PDF with pages but no text layer (a scan)."""


class FileTooLargeError(LoaderError):
    pass


class IndexNotFoundError(RagCouncilError):
    pass


class IndexMismatchError(RagCouncilError):
    """The index was built with other embedder or chunking settings."""


class StoreError(RagCouncilError):
    """The vector store could not be reached or answered with an error."""


class QuestionError(RagCouncilError):
    """The question cannot be answered as asked (empty, too long)."""
