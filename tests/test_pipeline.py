"""TryOnPipeline end to end on the astronaut."""

import numpy as np
import pytest
from PIL import Image

from images import astronaut, tshirt
from pipelines import TryOnOutput, TryOnPipeline
from tryon.errors import GarmentError

RED = (200, 30, 40)


@pytest.fixture(scope="module")
def pipe():
    """The baseline renderer (the learned one is tested in test_pipeline_learned.py)."""
    return TryOnPipeline.from_pretrained(mode="baseline")


@pytest.fixture(scope="module")
def result(pipe):
    return pipe(person=astronaut(), garment=tshirt(RED))


def test_result_has_the_photo_size_and_the_steps(result):
    assert isinstance(result, TryOnOutput)
    assert result.image.size == (512, 512) and result.image.mode == "RGB"
    assert set(result.steps) == {"pose", "parse", "agnostic", "garment", "warped"}  # parse: the bundled parser
    assert all(isinstance(s, Image.Image) for s in result.steps.values())
    assert result.warnings == []
    assert {"pose", "align", "garment", "warp", "composite", "paste_back", "total"} <= set(result.timings)


# The astronaut's chest, above the dark band across her suit (the baseline carries the person's
# shading over, and the band darkens the garment there).
CHEST = np.s_[290:350, 170:260]


def test_face_and_background_unchanged_torso_takes_the_garment(result):
    before = np.asarray(astronaut()).astype(int)
    after = np.asarray(result.image).astype(int)
    assert np.array_equal(after[60:190, 170:280], before[60:190, 170:280])  # face
    assert np.array_equal(after[:50, :], before[:50, :])                    # top of the photo
    assert np.array_equal(after[:, 470:], before[:, 470:])                  # right edge (rocket side)
    chest = after[CHEST].reshape(-1, 3)
    red = (chest[:, 0] > 110) & (chest[:, 1] < 90) & (chest[:, 2] < 100)
    assert red.mean() > 0.8, "the chest should take the red garment"
    # Shading carried over: the garment is not one flat colour.
    assert chest[red].std(axis=0).max() > 3


def test_deterministic_and_output_types(pipe, result):
    again = pipe(person=astronaut(), garment=tshirt(RED), output_type="np", return_dict=False)
    image, steps, warnings = again
    assert isinstance(image, np.ndarray) and image.shape == (512, 512, 3) and image.dtype == np.uint8
    assert np.array_equal(image, np.asarray(result.image))


def test_steps_only_when_asked_for_and_the_same_image(pipe, result):
    out = pipe(person=astronaut(), garment=tshirt(RED), with_steps=False)
    assert out.steps == {} and out.warnings == result.warnings
    assert np.array_equal(np.asarray(out.image), np.asarray(result.image))


def test_rgba_garment_uses_its_alpha(pipe, tmp_path):
    rgb = tshirt((20, 40, 200), background=(0, 255, 0))  # green would show if alpha were ignored
    mask = (np.abs(np.asarray(rgb).astype(int) - (0, 255, 0)).sum(-1) > 60).astype(np.uint8) * 255
    rgba = rgb.copy()
    rgba.putalpha(Image.fromarray(mask))
    path = tmp_path / "garment.png"
    rgba.save(path)
    out = np.asarray(pipe(person=astronaut(), garment=path).image).astype(int)
    chest = out[CHEST].reshape(-1, 3)
    assert ((chest[:, 2] > 120) & (chest[:, 1] < 110)).mean() > 0.8
    assert np.array_equal(out[:50], np.asarray(astronaut())[:50])


def test_a_given_garment_mask_is_used(pipe):
    garment = tshirt(RED)
    mask = Image.fromarray(((np.asarray(garment).sum(-1) < 700) * 255).astype(np.uint8))
    out = pipe(person=astronaut(), garment=garment, garment_mask=mask)
    assert out.image.size == (512, 512)
    with pytest.raises(GarmentError, match="same size"):
        pipe(person=astronaut(), garment=garment, garment_mask=mask.resize((50, 50)))


def test_bad_arguments_are_programming_errors(pipe):
    with pytest.raises(ValueError, match="output_type"):
        pipe(person=astronaut(), garment=tshirt(), output_type="tensor")
    with pytest.raises(ValueError, match="mode"):
        TryOnPipeline(mode="magic")
