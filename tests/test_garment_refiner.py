"""The garment refiner: starts as the bilinear enlargement, trains behind a frozen designer with
`tryon train garment-refiner` (resumable), exports into the designer's folder, and the design
pipeline then returns its 256x192 garments."""

import json
import shutil

import pytest
import torch
import torch.nn.functional as F

from pipelines.design_pipeline import OUTPUT_SIZE, GarmentDesignPipeline
from tryon.cli import main
from tryon.models.garment_refiner import REFINER_DIR, GarmentRefiner, GarmentRefinerConfig
from tryon.models.vae import VAE, VAEConfig
from tryon.training.checkpoint import latest_checkpoint


def test_an_untrained_refiner_is_the_bilinear_enlargement():
    torch.manual_seed(0)
    refiner = GarmentRefiner(GarmentRefinerConfig(coarse=(16, 12), channels=8)).eval()
    image, mask = torch.rand(2, 3, 16, 12) * 2 - 1, torch.randn(2, 1, 16, 12)
    out_image, out_mask = refiner(image, mask)
    assert out_image.shape == (2, 3, 32, 24) and out_mask.shape == (2, 1, 32, 24)
    assert torch.allclose(out_image, F.interpolate(image, size=(32, 24), mode="bilinear", align_corners=False))
    assert torch.allclose(out_mask, F.interpolate(mask, size=(32, 24), mode="bilinear", align_corners=False))


def test_the_refiner_refuses_a_garment_of_another_size():
    refiner = GarmentRefiner(GarmentRefinerConfig(coarse=(16, 12), channels=8))
    with pytest.raises(ValueError, match="coarse garments of"):
        refiner(torch.zeros(1, 3, 32, 24), torch.zeros(1, 1, 32, 24))
    with pytest.raises(ValueError, match="divisible by 4"):
        GarmentRefinerConfig(coarse=(18, 12))


def _train(root, cache, run, steps, *extra):
    return main(["train", "garment-refiner", "--data", str(root), "--cache", str(cache), "--run-dir", str(run),
                 "--steps", str(steps), "--batch-size", "2", "--val-pairs", "1", "--log-every", "1",
                 "--sample-every", "2", "--checkpoint-every", "2", *extra])


def test_refiner_trains_resumes_and_the_design_pipeline_uses_it(tiny_prepared, tmp_path):
    root, cache = tiny_prepared
    torch.manual_seed(0)
    designer = tmp_path / "designer"
    VAE(VAEConfig(channels=(8, 16, 16, 16), latent_dim=8)).save_pretrained(designer)
    run, weights = tmp_path / "run", tmp_path / "w"
    assert _train(root, cache, run, 2, "--init-from", str(designer)) == 0
    assert _train(root, cache, run, 4, "--init-from", str(designer), "--export-to", str(weights)) == 0
    steps = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [1, 2, 3, 4] and all(s["balance"] >= 0 for s in steps)
    assert latest_checkpoint(run).name == "step_00000004"
    assert any(p.suffix == ".png" for p in (run / "samples").iterdir())

    exported = weights / "garment-designer"
    refiner = GarmentRefiner.from_pretrained(exported / REFINER_DIR)
    assert refiner.config.coarse == (128, 96) and refiner.config.output == OUTPUT_SIZE
    assert refiner.to_residual.conv.weight.abs().sum() > 0          # it moved from the enlargement
    for f in designer.iterdir():                                      # the designer's folder, refiner inside
        shutil.copy2(f, exported / f.name)
    design = GarmentDesignPipeline.from_pretrained(exported)
    assert design.refiner is not None
    plain = GarmentDesignPipeline(design.vae, checker=design.checker)
    refined, enlarged = design.sample(2, seed=1, sampler="normal"), plain.sample(2, seed=1, sampler="normal")
    assert [im.size for im in refined] == [OUTPUT_SIZE[::-1]] * 2 and refined[0].mode == "RGBA"
    assert any(a.tobytes() != b.tobytes() for a, b in zip(refined, enlarged))


def test_shop_photos_pair_each_prepared_garment_with_its_photo_and_flip_together(tmp_path):
    from tiny_viton import make_tiny_viton
    from tryon.data import GarmentDataset, find_layout
    from tryon.data.shop_photos import ShopPhotos, array_box

    layout = find_layout(make_tiny_viton(tmp_path / "viton", 3))
    names = sorted(p.name for p in layout.cloth.iterdir())
    prepared = GarmentDataset(layout, names, size=(16, 12), cache_dir=tmp_path / "cache", progress=False)
    plain = ShopPhotos(layout, prepared, (32, 24))
    item = plain[0]
    assert item["garment"].shape == (4, 16, 12) and item["photo"].shape == (3, 32, 24)
    assert item["photo_mask"].shape == (1, 32, 24) and set(item["photo_mask"].unique().tolist()) <= {-1.0, 1.0}
    assert torch.allclose(item["target"], torch.from_numpy(array_box(item["photo_mask"][0].numpy() > 0)))
    torch.manual_seed(0)
    flipped = [ShopPhotos(layout, prepared, (32, 24), augment=True)[0] for _ in range(8)]
    mirrored = [f for f in flipped if not torch.equal(f["photo"], item["photo"])]
    assert mirrored and len(mirrored) < 8                      # about half of the draws flip
    f = mirrored[0]
    assert torch.equal(f["photo"], item["photo"].flip(-1)) and torch.equal(f["garment"], item["garment"].flip(-1))
    for key in ("source", "target"):
        y0, y1, x0, x1 = item[key].tolist()
        assert torch.allclose(f[key], torch.tensor([y0, y1, 1 - x1, 1 - x0]), atol=1e-6)
    with pytest.raises(ValueError, match="as stored"):
        ShopPhotos(layout, GarmentDataset(layout, names, size=(16, 12), augment=True, cache_dir=tmp_path / "cache",
                                          progress=False), (32, 24))
