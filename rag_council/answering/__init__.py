"""Answer generation: the Generator contract and its implementations."""

from .base import NO_ANSWER, Generator
from .extractive import ExtractiveGenerator

__all__ = ["NO_ANSWER", "ExtractiveGenerator", "Generator"]
