"""Saving and loading models as ``config.json`` + ``model.safetensors``: never pickle.

A directory written by :meth:`PretrainedMixin.save_pretrained` holds::

    config.json         {"model_type": "VAE", "tryon_version": "0.1.0",
                         "config": {...dataclass fields...}, "extra": {...}}
    model.safetensors   the state dict exactly as the module has it (spectral-norm
                        parametrisations included), optionally stored in float16

Other files in the directory (a model card ``README.md``) are left alone. Each file is written
to a temporary file beside it and renamed into place, so a reader never sees a half-written file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from tryon import __version__  # tryon/__init__ sets it before importing anything
from tryon.errors import TryOnError, WeightsError
from tryon.io import atomic_write

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+; annotations are never evaluated at run time

__all__ = ["CONFIG_NAME", "WEIGHTS_NAME", "PretrainedMixin", "load_extra", "read_config"]

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
FIX_HINT = "download the weights again or re-save the model"   # what to do about a damaged file


def read_config(directory: str | os.PathLike) -> dict:
    """The parsed ``config.json`` of a saved model directory.

    Raises:
        WeightsError: (a :class:`TryOnError`) the folder or its ``config.json`` is missing,
            unreadable, damaged or truncated; the sentence names the file.
    """
    path = Path(directory) / CONFIG_NAME
    if not path.is_file():
        raise WeightsError(f"No saved model at {Path(directory)}: expected a folder holding "
                           f"{CONFIG_NAME} and {WEIGHTS_NAME}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise WeightsError(f"The model config {path} cannot be read ({err.strerror or err}); "
                           f"check that the file can be read.") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WeightsError(f"The model config {path} is damaged or incomplete (it is not valid JSON); "
                           f"{FIX_HINT}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or "model_type" not in data:
        raise WeightsError(f"The model config {path} is not a tryon config.json (no model_type or config); "
                           f"{FIX_HINT}.")
    return data


def load_extra(directory: str | os.PathLike) -> dict:
    """The ``extra`` dict stored in ``config.json`` (e.g. calibration thresholds, training info)."""
    return dict(read_config(directory).get("extra") or {})


def _coerce(value: Any, hint: Any) -> Any:
    """Rebuild a JSON value as the annotated type: lists become tuples, nested dataclasses."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _coerce(value, options[0]) if len(options) == 1 else value
    if origin is tuple and isinstance(value, (list, tuple)):
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in value)
        if args and len(args) == len(value):
            return tuple(_coerce(v, a) for v, a in zip(value, args))
        return tuple(value)
    if origin is list and isinstance(value, (list, tuple)):
        (arg,) = typing.get_args(hint) or (Any,)
        return [_coerce(v, arg) for v in value]
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return _build_config(hint, value)
    if hint is tuple and isinstance(value, list):
        return tuple(value)
    return value


def _build_config(config_class: type, values: dict) -> Any:
    hints = typing.get_type_hints(config_class)
    names = {f.name for f in dataclasses.fields(config_class) if f.init}
    unknown = sorted(set(values) - names)
    if unknown:
        raise WeightsError(f"The saved {config_class.__name__} has fields this version does not know "
                           f"({', '.join(unknown)}): update tryon or re-save the model.")
    return config_class(**{k: _coerce(v, hints.get(k, Any)) for k, v in values.items()})


def _read_weights(weights: Path) -> dict[str, torch.Tensor]:
    """The tensors of a ``model.safetensors`` file, on the CPU (safetensors: no pickle).

    Raises:
        WeightsError: the file is unreadable, truncated or damaged (a broken header, data
            shorter than the header says, or NaN / infinite values), naming the file.
    """
    try:
        state = load_file(str(weights), device="cpu")
    except OSError as err:
        raise WeightsError(f"The weights file {weights} cannot be read ({err.strerror or err}); "
                           "check that the file can be read.") from None
    except (SafetensorError, ValueError, RuntimeError):  # bad header, short data, bad dtype
        raise WeightsError(f"The weights file {weights} is damaged or incomplete (it is not a readable "
                           f"safetensors file); {FIX_HINT}.") from None
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise WeightsError(f"The weights file {weights} is damaged (tensor {name} holds NaN or "
                               f"infinite values); {FIX_HINT}.")
    return state


class PretrainedMixin:
    """Mixin for ``nn.Module``s built as ``Model(config)`` from a dataclass ``config``.

    The class sets ``config_class`` (the dataclass) and keeps the config as ``self.config``.

    Example:
        >>> vae = VAE(VAEConfig())                                     # doctest: +SKIP
        >>> vae.save_pretrained("weights/garment_vae", extra={"threshold": 1.5})  # doctest: +SKIP
        >>> vae = VAE.from_pretrained("weights/garment_vae")           # doctest: +SKIP
    """

    config_class: type

    def save_pretrained(self, directory: str | os.PathLike, *, dtype: torch.dtype | None = None,
                        extra: dict | None = None) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``directory`` (created if needed).

        Args:
            directory: target folder; other files in it are kept.
            dtype: store floating-point tensors in this dtype (``torch.float16`` halves shipped
                weights); ``None`` keeps the module's dtypes. Integer buffers are never cast.
            extra: JSON-serialisable information stored beside the config (thresholds, training
                info); read back with :func:`load_extra`.

        Returns:
            The directory as a ``Path``.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        config = {
            "model_type": type(self).__name__,
            "tryon_version": __version__,
            "config": dataclasses.asdict(self.config),
            "extra": dict(extra or {}),
        }
        config_text = json.dumps(config, indent=2, sort_keys=False) + "\n"  # fails before writing anything
        tensors = {}
        for name, tensor in self.state_dict().items():
            tensor = tensor.detach()
            if dtype is not None and tensor.is_floating_point():
                tensor = tensor.to(dtype)
            tensors[name] = tensor.to("cpu").contiguous().clone()  # clone: no shared storage
        atomic_write(directory / WEIGHTS_NAME, lambda fh: fh.write(save(tensors, metadata={"format": "pt"})))
        atomic_write(directory / CONFIG_NAME, lambda fh: fh.write(config_text.encode("utf-8")))
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike, *, map_location: str | torch.device = "cpu",
                        dtype: torch.dtype = torch.float32) -> Self:
        """Rebuild the model from ``directory`` and load its weights, in eval mode.

        Args:
            directory: a folder written by :meth:`save_pretrained`.
            map_location: device the model is placed on.
            dtype: floating-point dtype of the returned model's parameters and buffers.

        Raises:
            TryOnError: (one sentence) the folder or a file is missing or unreadable, the folder
                holds another model type, or the weights do not fit the config.
        """
        directory = Path(directory)
        data = read_config(directory)
        if data["model_type"] != cls.__name__:
            raise WeightsError(f"{directory} holds a {data['model_type']} model, not a {cls.__name__}.")
        weights = directory / WEIGHTS_NAME
        if not weights.is_file():
            raise WeightsError(f"The weights file {weights} is missing: re-download or re-save the model.")
        try:
            config = _build_config(cls.config_class, data["config"])
        except (TypeError, ValueError) as err:
            raise WeightsError(f"The config in {directory / CONFIG_NAME} is not a valid "
                               f"{cls.config_class.__name__} ({err}); {FIX_HINT}.") from None
        try:
            model = cls(config)
        except Exception as err:  # values of the right type that the model cannot be built from
            raise WeightsError(f"The model config {directory / CONFIG_NAME} holds values a "
                               f"{cls.__name__} cannot be built from ({err}); {FIX_HINT}.") from None
        state = _read_weights(weights)
        expected = model.state_dict()
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        if missing or unexpected:
            parts = [f"{len(names)} {kind} tensor(s), e.g. {names[0]}"
                     for kind, names in (("missing", missing), ("unexpected", unexpected)) if names]
            raise WeightsError(f"The weights in {weights} do not match the {cls.__name__} config "
                             f"({'; '.join(parts)}).")
        wrong = [k for k in expected if expected[k].shape != state[k].shape]
        if wrong:
            k = wrong[0]
            raise WeightsError(f"The weights in {weights} do not match the {cls.__name__} config "
                             f"({len(wrong)} tensor(s) of the wrong shape, e.g. {k}: "
                             f"{tuple(state[k].shape)} saved, {tuple(expected[k].shape)} expected).")
        model.load_state_dict(state)  # copies into the fp32 module, casting fp16 storage up
        return model.to(device=map_location, dtype=dtype).eval()
