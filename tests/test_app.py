"""The served Gradio app, driven over HTTP with gradio_client (as an API user would)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

STEP_NAMES = ("pose", "parse", "agnostic", "garment", "warped")  # with the bundled parser
CORNER = (slice(0, 40), slice(0, 40))        # background, far from the astronaut's torso
TORSO = (slice(300, 420), slice(150, 300))   # the astronaut's chest, where the garment goes


@pytest.fixture(scope="module")
def client(served_app: str) -> Client:
    return Client(served_app, verbose=False)


def rgb(path: str | Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def try_on(client: Client, person: Path, garment: Path):
    return client.predict(handle_file(str(person)), handle_file(str(garment)), api_name="/try_on")


def test_api_lists_try_on(client: Client) -> None:
    info = client.view_api(print_info=False, return_format="dict")
    endpoint = info["named_endpoints"]["/try_on"]
    assert [p["parameter_name"] for p in endpoint["parameters"]] == [
        "person", "garment", "garment_type", "with_steps"]
    assert endpoint["parameters"][2]["parameter_has_default"]
    assert endpoint["parameters"][2]["parameter_default"] == "auto"
    assert endpoint["parameters"][3]["parameter_has_default"]
    assert endpoint["parameters"][3]["parameter_default"] is False, "step images only when asked"
    assert [r["label"] for r in endpoint["returns"]] == ["Result", "Steps", "Warnings"]


def test_try_on_takes_the_garment_from_a_worn_photo_or_refuses_it_in_one_sentence(
        client: Client, person_example: Path, garment_example: Path) -> None:
    """The astronaut as the garment photo: her suit is cut out (auto and worn); a flat garment
    photo declared worn gets one sentence, and the server goes on serving."""
    from tryon.worn import MSG_NO_WEARER

    for kind in ("auto", "worn"):
        result, steps, warnings = client.predict(handle_file(str(person_example)),
                                                 handle_file(str(person_example)), kind, api_name="/try_on")
        with Image.open(result) as img:
            assert img.size == Image.open(person_example).size
    with pytest.raises(AppError) as err:
        client.predict(handle_file(str(person_example)), handle_file(str(garment_example)), "worn",
                       api_name="/try_on")
    assert str(err.value) == MSG_NO_WEARER
    with pytest.raises(AppError, match="garment type must be one of"):
        client.predict(handle_file(str(person_example)), handle_file(str(garment_example)), "hanger",
                       api_name="/try_on")
    assert try_on(client, person_example, garment_example)[0]


def test_try_on_returns_the_person_wearing_the_garment(
        client: Client, person_example: Path, garment_example: Path) -> None:
    result, steps, warnings = client.predict(handle_file(str(person_example)),
                                             handle_file(str(garment_example)), "auto", True,
                                             api_name="/try_on")

    with Image.open(result) as img:
        assert img.format == "PNG"
        assert img.size == Image.open(person_example).size == (512, 512)
    before, after = rgb(person_example), rgb(result)
    assert np.array_equal(after[CORNER], before[CORNER]), "the background must be untouched"
    assert np.abs(after[TORSO] - before[TORSO]).mean() > 20, "the torso must be repainted"

    assert len(steps) == len(STEP_NAMES)
    assert any("parse" in step["caption"].lower() for step in steps)
    for step in steps:
        assert step["caption"]
        with Image.open(step["image"]) as img:
            assert img.format == "PNG" and min(img.size) > 0
    assert isinstance(warnings, str)

    again, no_steps, _ = try_on(client, person_example, garment_example)
    assert no_steps == [], "without with_steps, no step images are made or sent"
    assert np.array_equal(rgb(again), after), "the same try-on, the same lossless PNG"


def cut_off_garment(path: Path) -> Path:
    """A shirt whose sleeves run off both sides of the photo: it earns a warning."""
    image = Image.new("RGB", (300, 360), "white")
    ImageDraw.Draw(image).polygon(
        [(90, 20), (210, 20), (300, 90), (300, 140), (230, 110), (230, 360), (70, 360),
         (70, 110), (0, 140), (0, 90)], fill=(30, 90, 200))
    image.save(path)
    return path


def test_warnings_come_back_as_text(client: Client, person_example: Path, tmp_path: Path) -> None:
    result, _, warnings = try_on(client, person_example, cut_off_garment(tmp_path / "g.png"))
    assert "cut off" in warnings
    with Image.open(result) as img:
        assert img.size == (512, 512)


def _not_an_image(path: Path) -> None:
    path.write_text("this is a text file, not a photo\n")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _tiny(path: Path) -> None:
    Image.new("RGB", (8, 8), (200, 120, 90)).save(path)


def _no_person(path: Path) -> None:
    # A landscape: sky over grass, nobody in it.
    sky = np.linspace((90, 150, 230), (200, 225, 250), 300).astype(np.uint8)
    image = np.repeat(sky[:, None, :], 480, axis=1)
    image[200:] = (60, 140, 50)
    Image.fromarray(image).save(path)


@pytest.mark.parametrize(("make", "phrase"), [
    (_not_an_image, "not an image file"),
    (_empty, "is empty"),
    (_tiny, "too small"),
    (_no_person, "find a person"),
], ids=["text-file", "empty-file", "tiny-image", "no-person"])
def test_bad_upload_gets_a_readable_error_and_the_app_keeps_serving(
        client: Client, tmp_path: Path, person_example: Path, garment_example: Path,
        make, phrase: str) -> None:
    bad = tmp_path / "photo.png"
    make(bad)
    with pytest.raises(AppError) as err:
        try_on(client, bad, garment_example)
    message = str(err.value)
    assert phrase in message, message
    assert message.endswith(".") and "\n" not in message  # one sentence, no traceback

    result, _, _ = try_on(client, person_example, garment_example)
    with Image.open(result) as img:
        assert img.size == (512, 512)


def test_missing_garment_is_refused_readably(client: Client, person_example: Path) -> None:
    with pytest.raises(AppError, match="garment"):
        client.predict(handle_file(str(person_example)), None, api_name="/try_on")


def test_a_bug_is_logged_and_the_user_sees_a_generic_sentence(
        client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        person_example: Path, garment_example: Path) -> None:
    import gradio_app

    def broken_pipeline():
        raise RuntimeError("internal detail that must not reach the user")

    monkeypatch.setattr(gradio_app, "get_pipeline", broken_pipeline)
    with caplog.at_level("ERROR", logger="tryon.app"), pytest.raises(AppError) as err:
        try_on(client, person_example, garment_example)
    assert str(err.value) == gradio_app.GENERIC_ERROR
    assert any(r.exc_info and "internal detail" in str(r.exc_info[1]) for r in caplog.records)

    monkeypatch.undo()
    result, _, _ = try_on(client, person_example, garment_example)
    assert Path(result).is_file()


def test_step_captions_are_numbered_in_the_pipelines_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Known steps (the body parse too) get their caption, numbered as the pipeline orders them;
    a step the app has no caption for is shown under its own name; each is written once as a PNG."""
    import asyncio
    import types

    import gradio_app

    names = ("pose", "parse", "agnostic", "garment", "warped", "mystery")
    images = {name: Image.new("RGB", (16 + i, 12), (20 * i, 0, 0)) for i, name in enumerate(names)}
    out = types.SimpleNamespace(image=Image.new("RGB", (32, 24), "white"), warnings=[], timings={},
                                steps=images)
    monkeypatch.setattr(gradio_app, "get_pipeline", lambda: lambda **_: out)
    image, steps, warnings = asyncio.run(gradio_app.try_on("person.png", "garment.png", with_steps=True))
    assert warnings == ""
    with Image.open(image) as img:
        assert img.format == "PNG" and img.size == (32, 24)
    for (path, _), name in zip(steps, names):
        with Image.open(path) as img:
            assert img.format == "PNG" and img.size == images[name].size
    captions = [caption for _, caption in steps]
    assert captions[1] == "2. Body parse: hair, face, clothes, arms and legs"
    assert captions[-1] == "6. mystery"
    assert [c.split(". ", 1)[0] for c in captions] == [str(i) for i in range(1, 7)]
    assert asyncio.run(gradio_app.try_on("person.png", "garment.png"))[1] == []


# -- the Design tab's endpoints ----------------------------------------------------------------
# They run on the bundled garment designer (assets/weights/garment-designer); without its weights the
# tests that need a model skip, and those that do not (refusals, the API listing) still run.

def _design_weights() -> Path:
    from pipelines import design_pipeline  # read at run time: a dev run may point it elsewhere
    return Path(design_pipeline.GARMENT_DESIGNER_DIR)


@pytest.fixture(scope="module")
def design(served_app: str):
    """The app's garment design pipeline (the one the served endpoints use), or skip."""
    weights = _design_weights()
    if not (weights / "model.safetensors").is_file():
        pytest.skip(f"no bundled garment VAE weights: {weights / 'model.safetensors'} is absent")
    import gradio_app
    return gradio_app.get_design_pipeline()


def rgba(path: str | Path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "RGBA", (img.format, img.mode)
        return np.asarray(img, dtype=np.float32)


def generate(client: Client, seed: int, temperature: float = 1.0, n: int = 3) -> list[str]:
    items = client.predict(seed=seed, temperature=temperature, n=n, api_name="/generate_garment")
    return [item["image"] for item in items]


def test_api_lists_the_design_endpoints(client: Client) -> None:
    named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    expected = {
        "/generate_garment": ["seed", "temperature", "n"],
        "/blend_garments": ["garment_a", "garment_b", "t"],
        "/vary_garment": ["garment", "strength", "n", "seed"],
        "/edit_garment": ["garment", "hue", "lightness", "sleeve_length", "garment_length", "neckline"],
    }
    for name, params in expected.items():
        assert [p["parameter_name"] for p in named[name]["parameters"]] == params, name


def test_generate_garment_is_reproducible_rgba(client: Client, design) -> None:
    first, again, other = generate(client, 7), generate(client, 7), generate(client, 8)
    assert len(first) == len(again) == len(other) == 3
    for a, b in zip(first, again):
        assert Path(a).read_bytes() == Path(b).read_bytes(), "same seed, same PNG bytes"
    assert all(not np.array_equal(rgba(a), rgba(b)) for a, b in zip(first, other))
    assert not np.array_equal(rgba(first[0]), rgba(first[1])), "the garments of one grid differ"
    for path in first:
        alpha = rgba(path)[..., 3]
        assert (alpha <= 127).any() and (alpha > 127).any(), "alpha must separate the garment"


def test_blend_goes_from_a_to_b(client: Client, design, garment_examples: list[Path]) -> None:
    a, b = garment_examples[0], garment_examples[1]
    decoded_a, decoded_b = (np.asarray(design.decode(design.encode(str(g)))[0], np.float32)
                            for g in (a, b))

    def blend(t: float) -> np.ndarray:
        return rgba(client.predict(handle_file(str(a)), handle_file(str(b)), t,
                                   api_name="/blend_garments"))

    at_a, middle, at_b = blend(0.0), blend(0.5), blend(1.0)
    assert np.abs(at_a - decoded_a).mean() < 1.0, "t=0 is garment A's decoding"
    assert np.abs(at_b - decoded_b).mean() < 1.0, "t=1 is garment B's decoding"
    assert np.abs(middle - decoded_a).mean() > 1.0 and np.abs(middle - decoded_b).mean() > 1.0


def test_vary_garment(client: Client, design, garment_example: Path) -> None:
    garment = handle_file(str(garment_example))
    decoded = np.asarray(design.decode(design.encode(str(garment_example)))[0], np.float32)

    same = client.predict(garment, strength=0.0, n=2, seed=0, api_name="/vary_garment")
    assert len(same) == 2
    for item in same:
        assert np.abs(rgba(item["image"]) - decoded).mean() < 1.0, "strength 0 keeps the garment"

    varied = [rgba(item["image"]) for item in client.predict(
        garment, strength=1.0, n=3, seed=1, api_name="/vary_garment")]
    assert len(varied) == 3
    assert all(np.abs(v - decoded).mean() > 1.0 for v in varied)
    assert not np.array_equal(varied[0], varied[1])


# Each refusal comes before the model is needed, so these run without weights too.
@pytest.mark.parametrize(("endpoint", "values", "phrase"), [
    ("/generate_garment", {"seed": 0, "temperature": 1.0, "n": 17}, "number of garments"),
    ("/generate_garment", {"seed": 0, "temperature": 1.0, "n": 0}, "number of garments"),
    ("/generate_garment", {"seed": 0, "temperature": 1.0, "n": 2.5}, "whole number"),
    ("/generate_garment", {"seed": 0, "temperature": 2.5, "n": 2}, "temperature"),
    ("/generate_garment", {"seed": -1, "temperature": 1.0, "n": 2}, "seed"),
    ("/blend_garments", {"t": 1.5}, "blend amount"),
    ("/vary_garment", {"strength": -0.5, "n": 2, "seed": 0}, "strength"),
    ("/vary_garment", {"strength": 0.5, "n": 20, "seed": 0}, "number of variations"),
], ids=["n-17", "n-0", "n-fraction", "temperature", "seed", "t", "strength", "vary-n"])
def test_out_of_range_values_are_refused_with_a_sentence(
        client: Client, garment_example: Path, endpoint: str, values: dict, phrase: str) -> None:
    garment = handle_file(str(garment_example))
    files = {"/blend_garments": {"garment_a": garment, "garment_b": garment},
             "/vary_garment": {"garment": garment}}.get(endpoint, {})
    with pytest.raises(AppError) as err:
        client.predict(**files, **values, api_name=endpoint)
    message = str(err.value)
    assert phrase in message and "from" in message, message
    assert message.endswith(".") and "\n" not in message


def test_after_a_refusal_the_next_design_request_works(client: Client, design) -> None:
    with pytest.raises(AppError, match="temperature"):
        generate(client, 0, temperature=-1.0)
    assert len(generate(client, 0, n=2)) == 2


def test_a_bad_upload_to_vary_is_refused_readably(client: Client, design, tmp_path: Path) -> None:
    bad = tmp_path / "garment.png"
    _not_an_image(bad)
    with pytest.raises(AppError, match="not an image file"):
        client.predict(handle_file(str(bad)), 0.5, 2, 0, api_name="/vary_garment")


def test_missing_design_weights_are_one_sentence(
        client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import gradio_app
    from pipelines import design_pipeline

    monkeypatch.setattr(gradio_app, "_design", {})  # nothing loaded yet
    monkeypatch.setattr(design_pipeline, "GARMENT_DESIGNER_DIR", tmp_path)  # no weights there
    with pytest.raises(AppError) as err:
        generate(client, 0)
    message = str(err.value)
    assert "garment designer weights" in message and message.endswith(".") and "\n" not in message
