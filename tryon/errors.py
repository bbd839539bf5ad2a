"""Errors a user can act on.

Every exception here carries ONE sentence, shown as is to a shopper, a CLI user or an API
client: it says what is wrong and what to do. Code that catches :class:`TryOnError` may
print ``str(err)`` and nothing else; anything that is not a ``TryOnError`` is a bug.
"""

from __future__ import annotations

__all__ = [
    "TryOnError",
    "InvalidImageError",
    "NoPersonError",
    "PoseError",
    "GarmentError",
    "WeightsError",
]


class TryOnError(Exception):
    """Base class of every user-facing error; ``str(err)`` is one readable sentence."""


class InvalidImageError(TryOnError, ValueError):
    """The input is not an image we can read, or is unusable as an image (size, format)."""


class NoPersonError(TryOnError):
    """No person was found in the person photo."""


class PoseError(TryOnError):
    """A person was found, but not enough of the body is visible for an upper-body try-on."""


class GarmentError(TryOnError):
    """The garment cannot be separated from its background, or nothing usable remains."""


class WeightsError(TryOnError):
    """A weights folder's ``config.json`` or ``model.safetensors`` is missing, damaged or does not
    fit the model; the sentence names the file."""
