"""The served Gradio app, driven over HTTP with gradio_client (as an API user would)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

STEP_NAMES = ("pose", "agnostic", "garment", "warped")
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
    assert [p["parameter_name"] for p in endpoint["parameters"]] == ["person", "garment"]
    assert [r["label"] for r in endpoint["returns"]] == ["Result", "Steps", "Warnings"]


def test_try_on_returns_the_person_wearing_the_garment(
        client: Client, person_example: Path, garment_example: Path) -> None:
    result, steps, warnings = try_on(client, person_example, garment_example)

    with Image.open(result) as img:
        assert img.format == "PNG"
        assert img.size == Image.open(person_example).size == (512, 512)
    before, after = rgb(person_example), rgb(result)
    assert np.array_equal(after[CORNER], before[CORNER]), "the background must be untouched"
    assert np.abs(after[TORSO] - before[TORSO]).mean() > 20, "the torso must be repainted"

    assert len(steps) == len(STEP_NAMES)
    for step in steps:
        assert step["caption"]
        with Image.open(step["image"]) as img:
            assert img.format == "PNG" and min(img.size) > 0
    assert isinstance(warnings, str)


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
