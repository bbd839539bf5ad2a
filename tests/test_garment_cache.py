"""The pipeline's garment cache: a garment tried on again is neither prepared nor checked again,
the result is the same to the byte, and any change to the garment's pixels is a new garment."""

import numpy as np
import pytest
from PIL import Image

from pipelines.tryon_pipeline import DEFAULT_WEIGHTS_DIR
from tryon.garment_cache import GarmentCache, garment_key, load_garment_input

from images import astronaut, tshirt

needs_weights = pytest.mark.skipif(not (DEFAULT_WEIGHTS_DIR / "tryon" / "model.safetensors").is_file(),
                                   reason="the learned try-on needs the bundled weights")


def test_lru_keeps_the_most_recent_and_counts():
    cache = GarmentCache(2)
    cache.put(b"a", 1)
    cache.put(b"b", 2)
    assert cache.get(b"a") == 1          # a is now the most recent
    cache.put(b"c", 3)                   # b goes
    assert cache.get(b"b") is None and cache.get(b"c") == 3 and len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 1)
    off = GarmentCache(0)
    off.put(b"a", 1)
    assert off.get(b"a") is None
    with pytest.raises(ValueError):
        GarmentCache(-1)


def test_key_changes_with_one_pixel_the_mask_and_the_options():
    img = Image.new("RGB", (40, 30), "white")
    other = img.copy()
    other.putpixel((3, 4), (254, 255, 255))
    mask = Image.new("L", (40, 30), 255)
    keys = {garment_key(img, None, "auto"), garment_key(other, None, "auto"),
            garment_key(img, mask, "auto"), garment_key(img, None, "flat"),
            garment_key(img.convert("RGBA"), None, "auto")}
    assert len(keys) == 5
    assert garment_key(img, None, "auto") == garment_key(img.copy(), None, "auto")


def test_a_garment_file_is_keyed_by_its_bytes(tmp_path):
    """A path or an upload keys the cache by the bytes read (once); one changed byte, another mask or
    other options are another key, and so is the same garment given as an image (a miss, not a wrong hit)."""
    garment = tshirt()
    path = tmp_path / "garment.png"
    garment.save(path)
    data = path.read_bytes()
    loaded = load_garment_input(path)
    assert loaded.sources == (data, None) and loaded.key("auto") == load_garment_input(data).key("auto")
    assert np.array_equal(np.asarray(loaded.image), np.asarray(load_garment_input(garment).image))
    mask = Image.new("L", garment.size, 255)
    mask.save(tmp_path / "mask.png")
    changed = bytearray(data)
    changed[len(data) // 2] ^= 1
    keys = {loaded.key("auto"), loaded.key("flat"), garment_key(bytes(changed), None, "auto"),
            load_garment_input(path, tmp_path / "mask.png").key("auto"), load_garment_input(garment).key("auto")}
    assert len(keys) == 5


@needs_weights
def test_pipeline_prepares_a_garment_once_and_gives_the_same_result(monkeypatch, tmp_path):
    import pipelines.tryon_pipeline as tp
    from pipelines import TryOnPipeline

    calls = []
    real = tp.prepare_any_garment
    monkeypatch.setattr(tp, "prepare_any_garment", lambda *a, **k: calls.append(1) or real(*a, **k))
    pipe = TryOnPipeline.from_pretrained()
    person, garment = astronaut(), tshirt()
    first = pipe(person=person, garment=garment, output_type="np", with_steps=False)
    again = pipe(person=person, garment=garment.copy(), output_type="np", with_steps=False)
    assert len(calls) == 1 and pipe.garments.hits == 1
    assert np.array_equal(first.image, again.image) and first.warnings == again.warnings
    changed = garment.copy()
    changed.putpixel((0, 0), (0, 0, 0) if garment.mode == "RGB" else (0, 0, 0, 255))
    pipe(person=person, garment=changed, output_type="np", with_steps=False)
    assert len(calls) == 2
    path = tmp_path / "garment.png"  # a file is keyed by its bytes: rewritten, it is prepared again
    garment.save(path)
    from_file = [pipe(person=person, garment=path, output_type="np", with_steps=False) for _ in range(2)]
    assert len(calls) == 3 and np.array_equal(from_file[1].image, first.image)
    changed.save(path)
    pipe(person=person, garment=path, output_type="np", with_steps=False)
    assert len(calls) == 4
    uncached = TryOnPipeline.from_pretrained()
    uncached.garments = GarmentCache(0)
    assert np.array_equal(uncached(person=person, garment=garment, output_type="np", with_steps=False).image,
                          first.image)
