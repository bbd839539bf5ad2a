"""The served app in a real headless Chromium: upload, try on, see the result or the error."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
RESULT_TIMEOUT_MS = 60_000
SCREENSHOT_COPY = Path("/tmp/browser_tryon.png")
RESULT_IMG = "#result img[src]"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium: `make chromium`)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, served_app: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(served_app)
    page.wait_for_load_state("networkidle")
    yield page
    page.close()


def cut_off_garment(path: Path) -> Path:
    """A shirt whose sleeves run off both sides of the photo: it earns a warning."""
    image = Image.new("RGB", (300, 360), "white")
    ImageDraw.Draw(image).polygon(
        [(90, 20), (210, 20), (300, 90), (300, 140), (230, 110), (230, 360), (70, 360),
         (70, 110), (0, 140), (0, 90)], fill=(30, 90, 200))
    image.save(path)
    return path


def upload(page, component: str, path: Path) -> None:
    """Upload ``path`` into the image component ``#component`` through its file chooser."""
    with page.expect_file_chooser() as chooser:
        page.locator(f"#{component}").get_by_text("Click to Upload").click()
    chooser.value.set_files(str(path))
    page.locator(f"#{component} img[src]").first.wait_for(state="visible")


def try_on_and_wait_for_result(page) -> None:
    page.get_by_role("button", name="Try on").click()
    page.locator(RESULT_IMG).first.wait_for(state="visible", timeout=RESULT_TIMEOUT_MS)


def test_upload_both_photos_and_see_the_result(
        page, person_example: Path, garment_example: Path, tmp_path: Path) -> None:
    upload(page, "person", person_example)
    upload(page, "garment", garment_example)
    try_on_and_wait_for_result(page)

    page.get_by_text("Steps", exact=True).click()  # open the accordion
    page.locator("#steps img[src]").nth(4).wait_for(state="visible")
    assert page.locator("#steps img[src]").count() == 5   # pose, parse, agnostic, garment, warped

    shot = tmp_path / "browser_tryon.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copyfile(shot, SCREENSHOT_COPY)


def test_bad_upload_shows_the_error_and_a_good_run_follows(
        page, tmp_path: Path) -> None:
    landscape = np.zeros((300, 480, 3), np.uint8)
    landscape[:200] = (110, 170, 235)   # sky
    landscape[200:] = (60, 140, 50)     # grass, and nobody in the picture
    no_person = tmp_path / "landscape.png"
    Image.fromarray(landscape).save(no_person)

    upload(page, "person", no_person)
    page.locator("#garment-examples").get_by_role("button").first.click()  # an example garment
    page.locator("#garment img[src]").first.wait_for(state="visible")
    page.get_by_role("button", name="Try on").click()
    page.get_by_text("find a person").first.wait_for(state="visible", timeout=RESULT_TIMEOUT_MS)
    assert page.locator(RESULT_IMG).count() == 0

    # Now the astronaut example, and a garment cut off at the photo's edges: a result with a
    # warning, shown as a toast and in the Warnings box.
    page.locator("#person").get_by_label("Remove Image").click()
    page.locator("#person-examples button").first.click()
    page.locator("#person img[src]").first.wait_for(state="visible")
    page.locator("#garment").get_by_label("Remove Image").click()
    upload(page, "garment", cut_off_garment(tmp_path / "cut_off.png"))
    try_on_and_wait_for_result(page)
    page.locator(".toast-body").get_by_text("cut off").first.wait_for(state="visible")
    assert "cut off" in page.locator("#warnings textarea").input_value()


DESIGN_SCREENSHOT_COPY = Path("/tmp/browser_design.png")
DESIGN_N = 8


@pytest.fixture
def design_weights() -> Path:
    from pipelines import design_pipeline  # read at run time: a dev run may point it elsewhere
    weights = Path(design_pipeline.GARMENT_DESIGNER_DIR) / "model.safetensors"
    if not weights.is_file():
        pytest.skip(f"no bundled garment VAE weights: {weights} is absent")
    return weights


def test_design_generate_choose_and_try_it_on(page, design_weights: Path, tmp_path: Path) -> None:
    # A person photo first: "Try it on" keeps it and runs the try-on straight away.
    page.locator("#person-examples button").first.click()
    page.locator("#person img[src]").first.wait_for(state="visible")

    page.get_by_role("tab", name="Design").click()
    page.get_by_role("button", name="Generate", exact=True).click()
    thumbnails = page.locator("#design-gallery img[src]")
    thumbnails.nth(DESIGN_N - 1).wait_for(state="visible", timeout=RESULT_TIMEOUT_MS)
    assert thumbnails.count() == DESIGN_N

    thumbnails.nth(2).click()
    chosen = page.locator("#design-chosen img[src]").first
    chosen.wait_for(state="visible")
    shot = tmp_path / "browser_design.png"
    page.screenshot(path=str(shot), full_page=True)
    shutil.copyfile(shot, DESIGN_SCREENSHOT_COPY)

    chosen_src = chosen.get_attribute("src")
    page.get_by_role("button", name="Try it on").click()
    tryon_tab = page.get_by_role("tab", name="Try-On")
    sync_api.expect(tryon_tab).to_have_attribute("aria-selected", "true")
    garment = page.locator("#garment img[src]").first
    garment.wait_for(state="visible")
    assert garment.get_attribute("src") == chosen_src, "the chosen garment file, unchanged"
    assert page.locator("#person img[src]").count() == 1, "the person photo stays"
    try_on_result = page.locator(RESULT_IMG).first
    try_on_result.wait_for(state="visible", timeout=RESULT_TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "tryon.png"), full_page=True)
    shutil.copyfile(tmp_path / "tryon.png", Path("/tmp/browser_design_tryon.png"))
