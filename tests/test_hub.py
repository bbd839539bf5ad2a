"""Save/load: config.json + model.safetensors round trips, fp16 storage, clear errors."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import torch
from safetensors import safe_open
from torch import nn

from tryon import __version__
from tryon.errors import TryOnError
from tryon.hub import CONFIG_NAME, WEIGHTS_NAME, PretrainedMixin, load_extra
from tryon.models import VAE, DiscriminatorConfig, MultiScaleDiscriminator, VAEConfig

TINY_VAE = VAEConfig(resolution=(32, 24), channels=(8, 16), latent_dim=6, norm_groups=4)
TINY_D = DiscriminatorConfig(in_channels=4, channels=4, n_layers=2, num_scales=2)


def one_sentence(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg and msg.endswith("."), msg
    return msg


def test_vae_round_trip_is_exact_in_fp32(tmp_path):
    torch.manual_seed(0)
    vae = VAE(TINY_VAE).eval()
    path = vae.save_pretrained(tmp_path / "vae", extra={"threshold": 1.5, "steps": 10})
    assert sorted(p.name for p in path.iterdir()) == [CONFIG_NAME, WEIGHTS_NAME]   # no temp files left
    data = json.loads((path / CONFIG_NAME).read_text())
    assert data["model_type"] == "VAE" and data["tryon_version"] == __version__
    assert data["config"]["resolution"] == [32, 24] and data["extra"] == {"threshold": 1.5, "steps": 10}
    assert load_extra(path) == {"threshold": 1.5, "steps": 10}

    loaded = VAE.from_pretrained(path)
    assert not loaded.training
    assert loaded.config == TINY_VAE and isinstance(loaded.config.channels, tuple)
    x = torch.rand(2, 4, 32, 24) * 2 - 1
    with torch.no_grad():
        a, b = vae(x, sample=False), loaded(x, sample=False)
    assert torch.equal(a.image, b.image) and torch.equal(a.mask_logits, b.mask_logits)
    assert torch.equal(a.mu, b.mu) and torch.equal(a.logvar, b.logvar)


def test_fp16_storage_is_close_and_loads_as_requested_dtype(tmp_path):
    torch.manual_seed(0)
    vae = VAE(TINY_VAE).eval()
    path = vae.save_pretrained(tmp_path / "vae16", dtype=torch.float16)
    with safe_open(str(path / WEIGHTS_NAME), framework="pt") as f:
        assert {f.get_tensor(k).dtype for k in f.keys()} == {torch.float16}
    loaded = VAE.from_pretrained(path)
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}
    x = torch.rand(2, 4, 32, 24) * 2 - 1
    with torch.no_grad():
        a, b = vae(x, sample=False), loaded(x, sample=False)
    torch.testing.assert_close(b.image, a.image, atol=5e-3, rtol=0)
    assert not torch.equal(a.image, b.image)          # really rounded through fp16
    assert VAE.from_pretrained(path, dtype=torch.float16).encoder.to_moments.weight.dtype == torch.float16


def test_discriminator_round_trip_keeps_spectral_norm_state(tmp_path):
    torch.manual_seed(0)
    d = MultiScaleDiscriminator(TINY_D).train()
    for _ in range(3):                                  # power iterations move u and v
        d(torch.randn(2, 4, 32, 32))
    keys = d.state_dict().keys()
    assert any(k.endswith("parametrizations.weight.original") for k in keys)
    assert any(k.endswith("parametrizations.weight.0._u") for k in keys)
    path = d.save_pretrained(tmp_path / "d")
    loaded = MultiScaleDiscriminator.from_pretrained(path)
    d.eval()
    x = torch.randn(2, 4, 32, 32)
    with torch.no_grad():
        for (fa, la), (fb, lb) in zip(d(x), loaded(x)):
            assert torch.equal(la, lb)
            assert all(torch.equal(a, b) for a, b in zip(fa, fb))


@dataclass
class _TupleConfig:
    sizes: tuple[int, ...] = (1, 2)
    pair: tuple[int, int] = (3, 4)
    scale: float | None = None


class _Tiny(nn.Module, PretrainedMixin):
    config_class = _TupleConfig

    def __init__(self, config: _TupleConfig) -> None:
        super().__init__()
        self.config = config
        self.linear = nn.Linear(sum(config.sizes), config.pair[0])


def test_tuple_fields_come_back_as_tuples(tmp_path):
    config = _TupleConfig(sizes=(2, 3, 5), pair=(4, 1), scale=0.5)
    loaded = _Tiny.from_pretrained(_Tiny(config).save_pretrained(tmp_path / "t"))
    assert loaded.config == config
    assert type(loaded.config.sizes) is tuple and type(loaded.config.pair) is tuple


def test_saving_keeps_other_files_and_overwrites_weights(tmp_path):
    target = tmp_path / "w"
    target.mkdir()
    (target / "README.md").write_text("model card")
    VAE(TINY_VAE).save_pretrained(target)
    second = VAE(TINY_VAE)
    second.save_pretrained(target)
    assert (target / "README.md").read_text() == "model card"
    assert sorted(p.name for p in target.iterdir()) == ["README.md", CONFIG_NAME, WEIGHTS_NAME]
    loaded = VAE.from_pretrained(target)
    assert torch.equal(loaded.decoder.to_output.conv.weight, second.decoder.to_output.conv.weight)


def test_errors_are_one_clear_sentence(tmp_path):
    with pytest.raises(TryOnError) as err:
        VAE.from_pretrained(tmp_path / "nowhere")
    assert "config.json" in one_sentence(err)

    path = VAE(TINY_VAE).save_pretrained(tmp_path / "vae")
    with pytest.raises(TryOnError) as err:
        MultiScaleDiscriminator.from_pretrained(path)
    assert "holds a VAE model, not a MultiScaleDiscriminator" in one_sentence(err)

    (path / WEIGHTS_NAME).rename(tmp_path / "moved.safetensors")
    with pytest.raises(TryOnError) as err:
        VAE.from_pretrained(path)
    assert "missing" in one_sentence(err)
    (tmp_path / "moved.safetensors").rename(path / WEIGHTS_NAME)

    data = json.loads((path / CONFIG_NAME).read_text())
    data["config"]["latent_dim"] = 7                      # weights were saved for 6
    (path / CONFIG_NAME).write_text(json.dumps(data))
    with pytest.raises(TryOnError) as err:
        VAE.from_pretrained(path)
    assert "wrong shape" in one_sentence(err)

    data["config"]["latent_dim"] = 6
    data["config"]["res_levels"] = 0                      # the saved residual blocks become unexpected
    (path / CONFIG_NAME).write_text(json.dumps(data))
    with pytest.raises(TryOnError) as err:
        VAE.from_pretrained(path)
    assert "unexpected" in one_sentence(err)

    (path / CONFIG_NAME).write_text("{not json")
    with pytest.raises(TryOnError) as err:
        VAE.from_pretrained(path)
    one_sentence(err)
