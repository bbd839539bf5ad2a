"""The learned models: each is ``Model(config)`` with a dataclass config, saved and loaded with
:mod:`tryon.hub` (``config.json`` + ``model.safetensors``). Models compute no losses."""

from tryon.models.discriminator import DiscriminatorConfig, MultiScaleDiscriminator, PatchDiscriminator
from tryon.models.vae import VAE, VAEConfig, VAEOutput

__all__ = [
    "VAE",
    "VAEConfig",
    "VAEOutput",
    "DiscriminatorConfig",
    "MultiScaleDiscriminator",
    "PatchDiscriminator",
]
