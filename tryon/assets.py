"""Where the bundled weights and example images are, from a checkout or from an installed wheel.

The repository keeps them in the top-level ``assets/`` folder; a wheel ships that folder as the
package data ``tryon/_assets`` (see ``setup.py``). :func:`path` finds either, so nothing
else in tryon climbs ``__file__`` to reach them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["root", "path", "weights_dir", "examples_dir"]

_CHECKOUT = Path(__file__).resolve().parent.parent / "assets"   # a source checkout / editable install
_INSTALLED = Path(__file__).resolve().parent / "_assets"        # a wheel


def root() -> Path:
    """The assets folder: the checkout's ``assets/`` when there is one, else the wheel's copy."""
    in_checkout = (_CHECKOUT / "weights").is_dir() and (_CHECKOUT.parent / "pyproject.toml").is_file()
    return _CHECKOUT if in_checkout else _INSTALLED


def path(*parts: str) -> Path:
    """``root() / parts...``, e.g. ``path("weights", "tryon")``; it need not exist."""
    return root().joinpath(*parts)


def weights_dir() -> Path:
    """The bundled weights: ``<assets>/weights`` (``tryon/``, ``garment-vae/``, ``body-vae/``, ``parser/``)."""
    return path("weights")


def examples_dir() -> Path:
    """The bundled example images: ``<assets>/examples`` (``person/``, ``garments/``)."""
    return path("examples")
