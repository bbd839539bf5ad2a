"""The tryon web app: a thin Gradio UI and HTTP API over :class:`pipelines.TryOnPipeline`
and :class:`pipelines.design_pipeline.GarmentDesignPipeline`.

Run it with ``tryon serve`` (or ``python gradio_app.py``). Endpoints:

- ``/try_on``: (person, garment) image files -> (result image, step images, warnings text).
- ``/generate_garment``: (seed, temperature, n) -> a gallery of ``n`` new garments.
- ``/blend_garments``: (garment_a, garment_b, t) -> one garment ``t`` of the way from A to B.
- ``/vary_garment``: (garment, strength, n, seed) -> a gallery of ``n`` variations.

Designed garments are RGBA PNGs (alpha = the garment's mask), which ``/try_on`` takes as is.

This module holds no image code: it hands the uploaded file paths to the pipeline, which
does all loading and validation (:mod:`tryon.io`), and turns the pipeline's one-sentence
:class:`~tryon.errors.TryOnError` into a ``gr.Error`` the user sees. Anything else is a
bug: it is logged here with its traceback and the user sees a generic sentence.

Privacy defaults: no analytics, no run history in the browser, uploads deleted from the
server's cache after an hour, uploads capped at ``MAX_UPLOAD_SIZE``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import random
import threading
from pathlib import Path
from typing import Any

import gradio as gr

from pipelines import TryOnPipeline
from pipelines.design_pipeline import GarmentDesignPipeline
from tryon.constants import MAX_UPLOAD_SIZE
from tryon.errors import TryOnError

__all__ = ["build_demo", "launch", "try_on", "get_pipeline", "get_design_pipeline",
           "generate_garment", "blend_garments", "vary_garment"]

log = logging.getLogger("tryon.app")

ROOT = Path(__file__).resolve().parent
EXAMPLES_DIR = ROOT / "assets" / "examples"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")

# Uploads and results live in Gradio's cache: every 10 minutes, delete those older than 1 h.
DELETE_CACHE = (600, 3600)
# Requests running at once (MediaPipe pose is serialised inside the pipeline anyway), and
# requests allowed to wait: beyond that a client is told the queue is full instead of hanging.
CONCURRENCY_LIMIT = 2
MAX_QUEUE_SIZE = 32

STEP_CAPTIONS = {
    "pose": "1. Pose: landmarks and person mask",
    "agnostic": "2. Person without the upper-body garment",
    "garment": "3. Garment, cut out",
    "warped": "4. Garment fitted to the body",
}
GENERIC_ERROR = ("Something went wrong on our side while making your try-on; "
                 "please try again, or try other photos.")
MISSING = {
    "person photo": "Please add a photo of yourself first.",
    "garment image": "Please add a garment photo, or pick one of the examples.",
    "chosen garment": "Please choose a garment first: generate some and click one, "
                      "or upload a garment photo.",
    "garment A": "Please fill garment A: choose a garment and press \"Use as A\", or upload one.",
    "garment B": "Please fill garment B: choose a garment and press \"Use as B\", or upload one.",
    "blend": "Please blend two garments first.",
}

# Design tab: the ranges the UI offers and the API accepts.
N_RANGE = (1, 16)
TEMPERATURE_RANGE = (0.0, 2.0)
STRENGTH_RANGE = (0.0, 2.0)
SEED_RANGE = (0, 2**32 - 1)
DEFAULT_N = 8
DESIGN_ERROR = ("Something went wrong on our side while designing garments; "
                "please try again, or try other values.")

# Transparent garments are shown over a light checker; the files keep their alpha.
CHECKER = ("background-color: #fff; background-image: repeating-conic-gradient("
           "#ececec 0% 25%, #fff 0% 50%); background-size: 16px 16px;")
CSS = f"""
#tryon-header {{ text-align: center; }}
#tryon-run {{ max-width: 320px; margin: 0 auto; }}
.design-garments img, .design-garment img {{ {CHECKER} }}
"""

# -- the pipeline, created once on first request --------------------------------------------
_pipeline: TryOnPipeline | None = None
_pipeline_lock = threading.Lock()


def get_pipeline() -> TryOnPipeline:
    """The app's one pipeline, loaded on first use (not at import), thread-safely."""
    global _pipeline
    if _pipeline is None:
        with _pipeline_lock:
            if _pipeline is None:
                log.info("loading the try-on pipeline")
                _pipeline = TryOnPipeline.from_pretrained()
    return _pipeline


_design: dict[str, GarmentDesignPipeline] = {}
_design_lock = threading.Lock()


def get_design_pipeline(weights_dir: str | Path | None = None) -> GarmentDesignPipeline:
    """The garment design pipeline for ``weights_dir`` (None: the bundled garment VAE),
    loaded on first use and then shared. Missing weights raise :class:`TryOnError` every
    time, so weights put in place later are picked up without a restart."""
    key = str(Path(weights_dir).resolve()) if weights_dir is not None else ""
    if key not in _design:
        with _design_lock:
            if key not in _design:
                log.info("loading the garment design pipeline from %s", key or "the bundled assets")
                _design[key] = GarmentDesignPipeline.from_pretrained(weights_dir)
    return _design[key]


# -- the request handlers --------------------------------------------------------------------
def _source(value: Any, what: str) -> str | bytes:
    """The pipeline input for one uploaded image: its cached file path (or bytes).

    The event runs with ``preprocess=False``, so Gradio has already checked that the file
    is one it received and moved it into its cache, but has not opened it: ``gr.Image``'s
    own preprocessing calls ``PIL.Image.open`` and turns a non-image upload into an opaque
    "Error". Here ``tryon.io`` sees every upload and words every refusal itself.
    """
    if isinstance(value, dict):
        path = value.get("path")
        if path:
            return str(path)
        url = value.get("url") or ""
        if url.startswith("data:") and "," in url:  # an inline image (e.g. a webcam frame)
            try:
                return base64.b64decode(url.split(",", 1)[1], validate=False)
            except (binascii.Error, ValueError):
                raise gr.Error(f"The {what} could not be read; please upload it again.",
                               print_exception=False) from None
    elif isinstance(value, (str, Path)) and str(value):
        return str(value)
    raise gr.Error(MISSING[what], print_exception=False)


def try_on(person: Any, garment: Any) -> tuple[Any, list[tuple[Any, str]], str]:
    """Dress the person in the garment: (result image, captioned steps, warnings text)."""
    person_src = _source(person, "person photo")
    garment_src = _source(garment, "garment image")
    try:
        out = get_pipeline()(person=person_src, garment=garment_src)
    except TryOnError as err:
        log.info("try-on refused: %s", err)
        raise gr.Error(str(err), print_exception=False) from None
    except Exception:
        log.exception("try-on failed")
        raise gr.Error(GENERIC_ERROR, print_exception=False) from None
    log.info("try-on done in %.2f s", out.timings.get("total", 0.0))
    for warning in out.warnings:
        gr.Warning(warning)
    steps = [(img, STEP_CAPTIONS.get(name, name)) for name, img in out.steps.items()]
    return out.image, steps, "\n".join(out.warnings)


def _number(value: Any, what: str, bounds: tuple[float, float], *, whole: bool = False) -> Any:
    """``value`` as an int (``whole``) or float within ``bounds``, or a ``gr.Error`` saying so."""
    lo, hi = bounds
    kind = "a whole number" if whole else "a number"
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and lo <= value <= hi and (not whole or float(value).is_integer())
    if not ok:
        shown = f"{value:g}" if isinstance(value, float) else repr(value)[:40]
        raise gr.Error(f"The {what} must be {kind} from {lo:g} to {hi:g}, not {shown}.",
                       print_exception=False)
    return int(value) if whole else float(value)


def _design_call(weights_dir: str | Path | None, task: str, run: Any) -> Any:
    """``run(pipeline)``, with the pipeline's sentences (missing weights, bad uploads) shown
    to the user and anything else logged as the bug it is."""
    try:
        return run(get_design_pipeline(weights_dir))
    except TryOnError as err:
        log.info("%s refused: %s", task, err)
        raise gr.Error(str(err), print_exception=False) from None
    except Exception:
        log.exception("%s failed", task)
        raise gr.Error(DESIGN_ERROR, print_exception=False) from None


def generate_garment(seed: Any = 0, temperature: Any = 1.0, n: Any = DEFAULT_N,
                     *, weights_dir: str | Path | None = None) -> list[Any]:
    """``n`` new garments from the garment VAE (RGBA); the same seed gives the same garments."""
    seed = _number(seed, "seed", SEED_RANGE, whole=True)
    temperature = _number(temperature, "temperature", TEMPERATURE_RANGE)
    n = _number(n, "number of garments", N_RANGE, whole=True)
    return _design_call(weights_dir, "generate",
                        lambda design: design.sample(n, seed=seed, temperature=temperature))


def blend_garments(garment_a: Any, garment_b: Any, t: Any = 0.5,
                   *, weights_dir: str | Path | None = None) -> Any:
    """One garment ``t`` of the way from A (t=0) to B (t=1) in the VAE's latent space."""
    a, b = _source(garment_a, "garment A"), _source(garment_b, "garment B")
    t = _number(t, "blend amount t", (0.0, 1.0))
    return _design_call(weights_dir, "blend", lambda design: design.blend(a, b, t))


def vary_garment(garment: Any, strength: Any = 0.5, n: Any = DEFAULT_N, seed: Any = 0,
                 *, weights_dir: str | Path | None = None) -> list[Any]:
    """``n`` variations of a garment: 0 keeps it, larger strengths roam further."""
    source = _source(garment, "chosen garment")
    strength = _number(strength, "strength", STRENGTH_RANGE)
    n = _number(n, "number of variations", N_RANGE, whole=True)
    seed = _number(seed, "seed", SEED_RANGE, whole=True)
    return _design_call(weights_dir, "vary",
                        lambda design: design.vary(source, strength=strength, n=n, seed=seed))


# -- the UI ---------------------------------------------------------------------------------
def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def _caption(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ")


def _path(value: Any, what: str) -> str:
    """The cached file path of an image component's raw value (``preprocess=False``)."""
    source = _source(value, what)
    if not isinstance(source, str):  # an inline image: only uploads come that way
        raise gr.Error(f"The {what} could not be read; please upload it again.",
                       print_exception=False)
    return source


def _picked(items: list[tuple[str, Any]] | None, evt: gr.SelectData) -> Any:
    """The file of the gallery item the user clicked (nothing changes if there is none)."""
    index = evt.index if isinstance(evt.index, int) else -1
    return items[index][0] if items and 0 <= index < len(items) else gr.skip()


def build_demo(weights_dir: str | Path | None = None) -> gr.Blocks:
    """The Blocks app (not launched). The pipelines are loaded on the first request.

    Args:
        weights_dir: folder of the garment VAE for the Design tab (``config.json`` and
            ``model.safetensors``); None for the bundled ``assets/weights/garment-vae``.
    """
    people = _images(EXAMPLES_DIR / "person")
    garments = _images(EXAMPLES_DIR / "garments")

    with gr.Blocks(title="tryon: virtual try-on", analytics_enabled=False,
                   delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(
            "# tryon: virtual try-on\n"
            "Upload a photo of yourself (head to hips, facing the camera) and a garment "
            "photo, or pick an example garment, then press **Try on**. "
            "Your photos are only used for this request and are deleted from the server "
            "within about an hour. In the **Design** tab you can invent new garments, "
            "blend and vary them, and try them on.",
            elem_id="tryon-header",
        )
        with gr.Tabs(selected="tryon") as tabs:
            with gr.Tab("Try-On", id="tryon", elem_id="tab-tryon"):
                with gr.Row():
                    with gr.Column():
                        # type="filepath" and image_mode=None: Gradio never re-encodes the
                        # upload, so tryon.io sees the original file (EXIF, alpha, ...).
                        person = gr.Image(sources=["upload", "webcam"], type="filepath",
                                          image_mode=None, label="Your photo", height=420,
                                          elem_id="person")
                        if people:
                            gr.Examples(examples=[[str(p)] for p in people], inputs=person,
                                        label="Example person", cache_examples=False,
                                        elem_id="person-examples")
                    with gr.Column():
                        garment = gr.Image(sources=["upload", "clipboard"], type="filepath",
                                           image_mode=None, label="Garment", height=420,
                                           elem_id="garment")
                        gallery = gr.Gallery(
                            value=[(str(p), _caption(p)) for p in garments],
                            label="Example garments: click one to use it", columns=3,
                            height=300, object_fit="contain", allow_preview=False,
                            interactive=False, buttons=[], visible=bool(garments),
                            elem_id="garment-examples",
                        )
                    with gr.Column():
                        result = gr.Image(label="Result", format="png", type="pil",
                                          interactive=False, height=420, elem_id="result")
                        notes = gr.Textbox(label="Warnings", interactive=False, lines=2,
                                           placeholder="No warnings.", elem_id="warnings")
                run = gr.Button("Try on", variant="primary", elem_id="tryon-run")
                with gr.Accordion("Steps", open=False):
                    steps = gr.Gallery(label="Steps", format="png", columns=4, height=320,
                                       object_fit="contain", interactive=False,
                                       elem_id="steps")

            with gr.Tab("Design", id="design", elem_id="tab-design"):
                # Garments travel as files: PNG with alpha (the garment's mask), shown over
                # a light checker (CSS); the Try-On tab takes the same file unchanged.
                with gr.Row():
                    with gr.Column(scale=3):
                        gr.Markdown("**1. Generate** new garments: the same seed gives the "
                                    "same garments; a higher temperature gives wilder ones.")
                        with gr.Row():
                            seed = gr.Number(value=0, precision=0, minimum=SEED_RANGE[0],
                                             maximum=SEED_RANGE[1], label="Seed",
                                             elem_id="design-seed")
                            temperature = gr.Slider(*TEMPERATURE_RANGE, value=1.0, step=0.05,
                                                    label="Temperature",
                                                    elem_id="design-temperature")
                            count = gr.Slider(*N_RANGE, value=DEFAULT_N, step=1,
                                              label="How many", elem_id="design-n")
                        with gr.Row():
                            generate = gr.Button("Generate", variant="primary",
                                                 elem_id="design-generate")
                            reseed = gr.Button("New seed", elem_id="design-reseed")
                        designs = gr.Gallery(
                            label="Generated garments: click one to choose it", format="png",
                            columns=4, height="auto", object_fit="contain", allow_preview=False,
                            interactive=False, buttons=["download"], elem_id="design-gallery",
                            elem_classes="design-garments")
                    with gr.Column(scale=2):
                        gr.Markdown("**2. Choose** a garment (or upload one), then try it on, "
                                    "blend it or vary it.")
                        chosen = gr.Image(sources=["upload", "clipboard"], type="filepath",
                                          image_mode=None, format="png", height=420,
                                          label="Chosen garment", elem_id="design-chosen",
                                          elem_classes="design-garment")
                        send = gr.Button("Try it on", variant="primary", elem_id="design-send")
                        with gr.Row():
                            use_a = gr.Button("Use as A", size="sm", elem_id="design-use-a")
                            use_b = gr.Button("Use as B", size="sm", elem_id="design-use-b")
                with gr.Row():
                    with gr.Column(scale=3):
                        gr.Markdown("**3. Blend** two garments: slide from A to B.")
                        with gr.Row():
                            slot_a = gr.Image(sources=["upload", "clipboard"], type="filepath",
                                              image_mode=None, format="png", height=260,
                                              label="Garment A", elem_id="design-a",
                                              elem_classes="design-garment")
                            blended = gr.Image(format="png", type="pil", image_mode="RGBA",
                                               interactive=False, height=260, label="Blend",
                                               elem_id="design-blend",
                                               elem_classes="design-garment")
                            slot_b = gr.Image(sources=["upload", "clipboard"], type="filepath",
                                              image_mode=None, format="png", height=260,
                                              label="Garment B", elem_id="design-b",
                                              elem_classes="design-garment")
                        mix = gr.Slider(0.0, 1.0, value=0.5, step=0.05,
                                        label="t: from A (0) to B (1)", elem_id="design-t")
                        with gr.Row():
                            blend = gr.Button("Blend", elem_id="design-blend-run")
                            choose_blend = gr.Button("Choose the blend",
                                                     elem_id="design-choose-blend")
                    with gr.Column(scale=2):
                        gr.Markdown("**4. Vary** the chosen garment: small strengths keep it "
                                    "close, large ones roam.")
                        with gr.Row():
                            strength = gr.Slider(*STRENGTH_RANGE, value=0.5, step=0.05,
                                                 label="Strength", elem_id="design-strength")
                            vary_count = gr.Slider(*N_RANGE, value=4, step=1, label="How many",
                                                   elem_id="design-vary-n")
                            vary_seed = gr.Number(value=0, precision=0, minimum=SEED_RANGE[0],
                                                  maximum=SEED_RANGE[1], label="Seed",
                                                  elem_id="design-vary-seed")
                        vary = gr.Button("Vary", elem_id="design-vary")
                        variations = gr.Gallery(
                            label="Variations: click one to choose it", format="png",
                            columns=4, height=260, object_fit="contain", allow_preview=False,
                            interactive=False, buttons=["download"], elem_id="design-variations",
                            elem_classes="design-garments")

        # -- Try-On events
        def pick_garment(evt: gr.SelectData) -> str | None:
            index = evt.index if isinstance(evt.index, int) else None
            return str(garments[index]) if index is not None and index < len(garments) else None

        gallery.select(pick_garment, None, garment, api_visibility="private", queue=False)
        run.click(
            try_on, [person, garment], [result, steps, notes],
            api_name="try_on",
            api_description="Dress the person in the garment. Returns the result image (PNG, "
                            "at the person photo's size), the intermediate step images and "
                            "warnings (one per line).",
            preprocess=False,  # tryon.io validates the raw uploads; see _source
            concurrency_limit=CONCURRENCY_LIMIT, concurrency_id="try_on",
        )

        # -- Design events. The API ones run with preprocess=False, like /try_on: the
        # handlers check every number themselves (one sentence per refusal) and tryon.io
        # reads the raw uploads. They share one concurrency group: each uses every core.
        design_queue = {"concurrency_id": "design", "concurrency_limit": 1}

        def generate_(seed: Any, temperature: Any, n: Any) -> list[Any]:
            return generate_garment(seed, temperature, n, weights_dir=weights_dir)

        def blend_(garment_a: Any, garment_b: Any, t: Any) -> Any:
            return blend_garments(garment_a, garment_b, t, weights_dir=weights_dir)

        def vary_(garment: Any, strength: Any, n: Any, seed: Any) -> list[Any]:
            return vary_garment(garment, strength, n, seed, weights_dir=weights_dir)

        generate.click(
            generate_, [seed, temperature, count], designs,
            api_name="generate_garment",
            api_description="New garments from the garment VAE: seed (whole number, 0 to "
                            "2**32-1; the same seed gives the same garments), temperature "
                            "(0 to 2) and n (1 to 16). Returns n RGBA PNG garments.",
            preprocess=False, **design_queue,
        )
        reseed.click(lambda: random.randint(*SEED_RANGE), None, seed,
                     api_visibility="private", queue=False).success(
            generate_, [seed, temperature, count], designs,
            api_visibility="private", preprocess=False, **design_queue)
        blend.click(
            blend_, [slot_a, slot_b, mix], blended,
            api_name="blend_garments",
            api_description="One garment t of the way from garment_a (t=0) to garment_b "
                            "(t=1), blended in the garment VAE's latent space. Returns an "
                            "RGBA PNG garment.",
            preprocess=False, **design_queue,
        )

        def blend_live(garment_a: Any, garment_b: Any, t: Any) -> Any:
            if not garment_a or not garment_b:
                return gr.skip()
            return blend_(garment_a, garment_b, t)

        mix.release(blend_live, [slot_a, slot_b, mix], blended, api_visibility="private",
                    preprocess=False, **design_queue)
        vary.click(
            vary_, [chosen, strength, vary_count, vary_seed], variations,
            api_name="vary_garment",
            api_description="Variations of a garment photo: strength (0 to 2; 0 keeps the "
                            "garment), n (1 to 16) and seed. Returns n RGBA PNG garments.",
            preprocess=False, **design_queue,
        )

        # Choosing and moving garments between the slots: files only, no model. Those that
        # can refuse are queued: only a queued event's gr.Error reaches the user as a toast.
        designs.select(_picked, designs, chosen, api_visibility="private", queue=False)
        variations.select(_picked, variations, chosen, api_visibility="private", queue=False)
        for button, slot in ((use_a, slot_a), (use_b, slot_b)):
            button.click(lambda value: _path(value, "chosen garment"), chosen, slot,
                         api_visibility="private", preprocess=False)
        choose_blend.click(lambda value: _path(value, "blend"), blended, chosen,
                           api_visibility="private", preprocess=False)

        # "Try it on": the chosen garment goes to the Try-On tab, which is shown, with the
        # person photo left as it is; when there is one, the try-on runs straight away.
        def send_to_try_on(value: Any) -> tuple[str, gr.Tabs]:
            return _path(value, "chosen garment"), gr.Tabs(selected="tryon")

        def try_on_if_person(person_value: Any, garment_value: Any) -> Any:
            if not person_value:
                return gr.skip(), gr.skip(), gr.skip()
            return try_on(person_value, garment_value)

        send.click(send_to_try_on, chosen, [garment, tabs], api_visibility="private",
                   preprocess=False).success(
            try_on_if_person, [person, garment], [result, steps, notes],
            api_visibility="private", preprocess=False, concurrency_limit=CONCURRENCY_LIMIT,
            concurrency_id="try_on")
    demo.queue(max_size=MAX_QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, *, weights_dir: str | Path | None = None,
           **kwargs: Any) -> gr.Blocks:
    """Build and serve the app on ``host:port``; extra ``kwargs`` go to ``Blocks.launch``.

    ``weights_dir`` is the garment VAE folder for the Design tab (None: the bundled one).

    Blocks until the server stops unless ``prevent_thread_lock=True``; returns the app
    (its address is ``demo.local_url``; ``demo.close()`` stops it).
    """
    demo = build_demo(weights_dir)
    options: dict[str, Any] = {
        "server_name": host,
        "server_port": port,
        "max_file_size": MAX_UPLOAD_SIZE,
        "run_history": False,
        "theme": gr.themes.Default(),
        "css": CSS,
    }
    options.update(kwargs)
    demo.launch(**options)
    return demo


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    launch()
