"""The tryon web app: a thin Gradio UI and HTTP API over :class:`pipelines.TryOnPipeline`
and :class:`pipelines.GarmentDesignPipeline`. Run it with ``tryon serve`` (or
``python gradio_app.py``). Endpoints:

- ``/try_on``: (person, garment) image files, the garment type (auto, flat, worn) and whether
  to return the step images (default no) -> (result PNG, step images, warnings text).
- ``/generate_garment``: (seed, temperature, n) -> a gallery of ``n`` new garments.
- ``/blend_garments``: (garment_a, garment_b, t) -> one garment ``t`` of the way from A to B.
- ``/vary_garment``: (garment, strength, n, seed) -> a gallery of ``n`` variations.
- ``/edit_garment``: (garment, hue, lightness, sleeve_length, garment_length, neckline) -> the
  garment with those attribute sliders moved (hue in degrees, the others in training standard
  deviations; 0 keeps an attribute).

Designed garments are RGBA PNGs (alpha = the garment's mask), which ``/try_on`` takes as is.
This module holds no image code: it hands the uploaded files to the pipelines, which do all
loading and validation (:mod:`tryon.io`), and turns their one-sentence
:class:`~tryon.errors.TryOnError` into a ``gr.Error`` the user sees. Anything else is a
bug: it is logged here with its traceback and the user sees a generic sentence.

Beside them, ``POST /api/v1/try-on`` (one multipart request in, the image out) and
``GET /api/v1/health`` (:mod:`tryon.serving.rest`). Every try-on, whichever way it comes in,
passes one admission gate (:class:`tryon.serving.Gate`): a fixed number run at once, a
measured number wait, and a client past that hears our sentence with the wait to expect.

Privacy defaults: no analytics, no run history in the browser, uploads deleted from the
server's cache after an hour and the server's whole cache folder when it stops (SIGTERM too),
uploads capped at ``MAX_UPLOAD_SIZE``.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from pipelines import GarmentDesignPipeline, TryOnPipeline
from tryon.assets import examples_dir
from tryon.app_design import (DEFAULT_N, EDIT_SLIDERS, HUE_RANGE, N_RANGE, SEED_RANGE, SLIDER_RANGE,
                               STRENGTH_RANGE, TEMPERATURE_RANGE, design_tab, upload)
from tryon.app_text import BAD_CHOICE, CSS, GENERIC_ERROR, HEADER, IN_LINE, STEP_CAPTIONS, TRY_ON_API
from tryon.constants import GARMENT_TYPES, MAX_UPLOAD_SIZE
from tryon.errors import TryOnError
from tryon.pose import build_graphs
from tryon.serving import Gate, job, lifecycle
from tryon.serving import gradio_inputs as inputs
from tryon.serving.memory import limit_arenas
from tryon.serving.rest import rest_routes

__all__ = ["build_demo", "launch", "try_on", "get_pipeline", "get_design_pipeline", "get_gate",
           "generate_garment", "blend_garments", "vary_garment", "edit_garment"]

log = logging.getLogger("tryon.app")

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")  # of the bundled example images
# Uploads and results live in Gradio's cache: every 10 minutes, delete those older than 1 h.
DELETE_CACHE = (600, 3600)
# Try-ons wait in the gate (tryon.serving.gate: how many run and wait, sized from measured
# throughput), never in Gradio's queue, whose refusal is its own English text. Gradio's queue
# holds the Design tab's requests (one runs at a time); past this many waiting it refuses.
MAX_QUEUE_SIZE = 64
# Threads for Gradio's own work (uploads, pre/post-processing): try-ons run on the gate's.
MAX_THREADS = 40

DESIGN_ERROR = ("Something went wrong on our side while designing garments; "
                "please try again, or try other values.")

# -- the pipelines, each loaded once, on its first request --------------------------------------
_pipeline: dict[str, TryOnPipeline] = {}
_design: dict[str, GarmentDesignPipeline] = {}  # by weights folder ("": the bundled one)
_gate: dict[str, Gate] = {}
_load_lock = threading.Lock()


def _once(cache: dict[str, Any], key: str, load: Callable[[], Any], what: str) -> Any:
    """``cache[key]``, made by ``load()`` on first use (not at import), thread-safely."""
    if key not in cache:
        with _load_lock:
            if key not in cache:
                log.info("loading %s", what)
                cache[key] = load()
    return cache[key]


def get_pipeline() -> TryOnPipeline:
    """The app's one try-on pipeline, loaded on first use."""
    return _once(_pipeline, "", TryOnPipeline.from_pretrained, "the try-on pipeline")


def get_gate() -> Gate:
    """The one admission gate of every try-on this process serves."""
    return _once(_gate, "", Gate, "the try-on gate")


def get_design_pipeline(weights_dir: str | Path | None = None) -> GarmentDesignPipeline:
    """The garment design pipeline for ``weights_dir`` (None: the bundled garment designer),
    loaded on first use and then shared. Missing weights raise :class:`TryOnError` every
    time, so weights put in place later are picked up without a restart."""
    key = str(Path(weights_dir).resolve()) if weights_dir is not None else ""
    return _once(_design, key, lambda: GarmentDesignPipeline.from_pretrained(weights_dir),
                 f"the garment design pipeline from {key or 'the bundled assets'}")


# -- the request handlers --------------------------------------------------------------------
def _try_on_job(person: str | bytes, garment: str | bytes, garment_type: str,
                with_steps: bool) -> tuple[str, list[tuple[str, str]], list[str]]:
    """On a gate worker: the try-on, its result written once as a PNG into Gradio's cache
    (served from there as is), and the captioned step images only when asked for."""
    done = job.dress(get_pipeline, person, garment, garment_type, with_steps=with_steps)
    folder = get_upload_folder()
    steps = [(job.save(img, folder, name), f"{i}. {STEP_CAPTIONS.get(name, name)}")
             for i, (name, img) in enumerate(done.steps.items(), start=1)] if with_steps else []
    return job.save(done.image, folder), steps, done.warnings


async def try_on(person: Any, garment: Any, garment_type: Any = "auto",
                 with_steps: Any = False) -> tuple[str, list[tuple[str, str]], str]:
    """Dress the person in the garment: (result PNG path, captioned steps, warnings text).

    ``garment_type`` says what the garment photo shows: ``"auto"`` (default), ``"flat"`` (the
    garment alone) or ``"worn"`` (a person wearing it). ``with_steps``: also return the step
    images (else the steps list is empty). Runs on the gate; past its capacity the user gets
    :class:`~tryon.serving.Busy`'s sentence."""
    garment_type = garment_type or "auto"
    if garment_type not in GARMENT_TYPES:
        raise gr.Error(BAD_CHOICE.format(what="garment type", choices=", ".join(GARMENT_TYPES),
                                         value=garment_type), print_exception=False)
    person_src, garment_src = inputs.source(person, "person photo"), inputs.source(garment, "garment image")
    gate = get_gate()
    if (ahead := gate.in_flight) >= gate.workers:  # it will wait: say how long, in the page
        gr.Info(IN_LINE.format(ahead=ahead, seconds=math.ceil(gate.expected_wait_s(ahead))))
    with inputs.shown_to_user("try-on", GENERIC_ERROR):
        result, steps, warnings = await gate.run(
            _try_on_job, person_src, garment_src, garment_type, bool(with_steps))
    for warning in warnings:
        gr.Warning(warning)
    return result, steps, "\n".join(warnings)


def generate_garment(seed: Any = 0, temperature: Any = 1.0, n: Any = DEFAULT_N,
                     *, weights_dir: str | Path | None = None) -> list[Any]:
    """``n`` new garments from the garment VAE (RGBA); the same seed gives the same garments."""
    seed = inputs.number(seed, "seed", SEED_RANGE, whole=True)
    temperature = inputs.number(temperature, "temperature", TEMPERATURE_RANGE)
    n = inputs.number(n, "number of garments", N_RANGE, whole=True)
    with inputs.shown_to_user("generate", DESIGN_ERROR):
        return get_design_pipeline(weights_dir).sample(n, seed=seed, temperature=temperature)


def blend_garments(garment_a: Any, garment_b: Any, t: Any = 0.5,
                   *, weights_dir: str | Path | None = None) -> Any:
    """One garment ``t`` of the way from A (t=0) to B (t=1) in the VAE's latent space."""
    a, b = inputs.source(garment_a, "garment A"), inputs.source(garment_b, "garment B")
    t = inputs.number(t, "blend amount t", (0.0, 1.0))
    with inputs.shown_to_user("blend", DESIGN_ERROR):
        return get_design_pipeline(weights_dir).blend(a, b, t)


def vary_garment(garment: Any, strength: Any = 0.5, n: Any = DEFAULT_N, seed: Any = 0,
                 *, weights_dir: str | Path | None = None) -> list[Any]:
    """``n`` variations of a garment: 0 keeps it, larger strengths roam further."""
    source = inputs.source(garment, "chosen garment")
    strength = inputs.number(strength, "strength", STRENGTH_RANGE)
    n = inputs.number(n, "number of variations", N_RANGE, whole=True)
    seed = inputs.number(seed, "seed", SEED_RANGE, whole=True)
    with inputs.shown_to_user("vary", DESIGN_ERROR):
        return get_design_pipeline(weights_dir).vary(source, strength=strength, n=n, seed=seed)


def edit_garment(garment: Any, hue: Any = 0.0, lightness: Any = 0.0, sleeve_length: Any = 0.0,
                 garment_length: Any = 0.0, neckline: Any = 0.0, *, weights_dir: str | Path | None = None) -> Any:
    """The garment with its attribute sliders moved: ``hue`` in degrees, the others in training
    standard deviations (0 keeps an attribute)."""
    source = inputs.source(garment, "chosen garment")
    values = {"hue": inputs.number(hue, "hue", HUE_RANGE)}
    for (name, label), value in zip(EDIT_SLIDERS, (lightness, sleeve_length, garment_length, neckline)):
        values[name] = inputs.number(value, label.lower(), SLIDER_RANGE)
    with inputs.shown_to_user("edit", DESIGN_ERROR):
        return get_design_pipeline(weights_dir).edit(source, **values)


# -- the UI: tab builders put the components on one namespace (ui.person, ...); events wire them
def _picked(items: list[tuple[str, Any]] | None, evt: gr.SelectData) -> Any:
    """The file of the gallery item the user clicked (nothing changes if there is none)."""
    index = evt.index if isinstance(evt.index, int) else -1
    return items[index][0] if items and 0 <= index < len(items) else gr.skip()


def _try_on_tab(ui: SimpleNamespace, people: list[Path], garments: list[Path]) -> None:
    """The Try-On tab: person photo, garment (or an example), result, warnings and steps."""
    with gr.Tab("Try-On", id="tryon", elem_id="tab-tryon"):
        with gr.Row():
            with gr.Column():
                ui.person = upload(["upload", "webcam"], "Your photo", "person", 420)
                if people:
                    gr.Examples(examples=[[str(p)] for p in people], inputs=ui.person,
                                label="Example person", cache_examples=False,
                                elem_id="person-examples")
            with gr.Column():
                ui.garment = upload(["upload", "clipboard"], "Garment", "garment", 420)
                ui.examples = gr.Gallery(
                    value=[(str(p), p.stem.replace("_", " ").replace("-", " ")) for p in garments],
                    label="Example garments: click one to use it", columns=3, height=300,
                    object_fit="contain", allow_preview=False, interactive=False, buttons=[],
                    visible=bool(garments), elem_id="garment-examples")
                ui.garment_type = gr.Radio(
                    choices=[("Find out", "auto"), ("The garment alone", "flat"),
                             ("Someone wearing it", "worn")],
                    value="auto", label="The garment photo shows", elem_id="garment-type")
            with gr.Column():
                ui.result = gr.Image(label="Result", format="png", type="pil", interactive=False,
                                     height=420, elem_id="result")
                ui.notes = gr.Textbox(label="Warnings", interactive=False, lines=2,
                                      placeholder="No warnings.", elem_id="warnings")
        ui.run = gr.Button("Try on", variant="primary", elem_id="tryon-run")
        with gr.Accordion("Steps", open=False):
            ui.steps = gr.Gallery(label="Steps", format="png", columns=4, height=320,
                                  object_fit="contain", interactive=False, elem_id="steps")
        # The API's /try_on: its trigger and its with_steps input, never shown.
        ui.api_trigger = gr.Button(visible=False, elem_id="try-on-api")
        ui.with_steps = gr.Checkbox(value=False, visible=False, label="with_steps")


# Try-ons queue in the gate, not in Gradio's queue (see MAX_QUEUE_SIZE): no Gradio limit.
UNLIMITED = {"concurrency_limit": None, "preprocess": False}  # preprocess: see _source


def _try_on_events(ui: SimpleNamespace) -> None:
    """A click on an example garment fills the garment slot; "Try on" runs the try-on with its
    steps (shown in the Steps accordion). The API endpoint ``/try_on`` is a separate event on
    a hidden trigger, whose ``with_steps`` input defaults to false: API callers get the step
    images only when they ask for them."""
    ui.examples.select(_picked, ui.examples, ui.garment, api_visibility="private", queue=False)
    outputs = [ui.result, ui.steps, ui.notes]
    ui.run.click(partial(try_on, with_steps=True), [ui.person, ui.garment, ui.garment_type], outputs,
                 api_visibility="private", **UNLIMITED)
    ui.api_trigger.click(try_on, [ui.person, ui.garment, ui.garment_type, ui.with_steps], outputs,
                         api_name="try_on", api_description=TRY_ON_API, **UNLIMITED)


def _design_events(ui: SimpleNamespace, weights_dir: str | Path | None) -> None:
    """The Design endpoints, the events moving garments between its slots, and "Try it on".
    The endpoints run with preprocess=False, like /try_on: the handlers check every number
    themselves (one sentence per refusal) and tryon.io reads the raw uploads. They share one
    concurrency group: each uses every core."""
    def generate_(seed: Any, temperature: Any, n: Any) -> list[Any]:
        return generate_garment(seed, temperature, n, weights_dir=weights_dir)

    def blend_(garment_a: Any, garment_b: Any, t: Any) -> Any:
        return blend_garments(garment_a, garment_b, t, weights_dir=weights_dir)

    def vary_(garment: Any, strength: Any, n: Any, seed: Any) -> list[Any]:
        return vary_garment(garment, strength, n, seed, weights_dir=weights_dir)

    def blend_live(garment_a: Any, garment_b: Any, t: Any) -> Any:
        return blend_(garment_a, garment_b, t) if garment_a and garment_b else gr.skip()

    queue = {"preprocess": False, "concurrency_id": "design", "concurrency_limit": 1}
    numbers, pair = [ui.seed, ui.temperature, ui.count], [ui.slot_a, ui.slot_b, ui.mix]
    ui.generate.click(
        generate_, numbers, ui.designs, api_name="generate_garment",
        api_description="New garments from the garment designer: seed (whole number, 0 to 2**32-1; "
                        "the same seed gives the same garments), temperature (0 to 2) and n "
                        "(1 to 16). Returns n RGBA PNG garments.", **queue)
    ui.reseed.click(lambda: random.randint(*SEED_RANGE), None, ui.seed, api_visibility="private",
                    queue=False).success(
        generate_, numbers, ui.designs, api_visibility="private", **queue)
    ui.blend.click(
        blend_, pair, ui.blended, api_name="blend_garments",
        api_description="One garment t of the way from garment_a (t=0) to garment_b (t=1), "
                        "blended in the garment VAE's latent space. Returns an RGBA PNG garment.",
        **queue)
    ui.mix.release(blend_live, pair, ui.blended, api_visibility="private", **queue)
    ui.vary.click(
        vary_, [ui.chosen, ui.strength, ui.vary_count, ui.vary_seed], ui.variations,
        api_name="vary_garment",
        api_description="Variations of a garment photo: strength (0 to 2; 0 keeps the garment), "
                        "n (1 to 16) and seed. Returns n RGBA PNG garments.", **queue)

    def edit_(garment: Any, hue: Any, lightness: Any, sleeve_length: Any, garment_length: Any,
              neckline: Any) -> Any:
        return edit_garment(garment, hue, lightness, sleeve_length, garment_length, neckline,
                            weights_dir=weights_dir)

    ui.edit.click(
        edit_, [ui.chosen, ui.hue, *ui.edit_sliders], ui.edited, api_name="edit_garment",
        api_description="A garment photo with attribute sliders moved: hue (degrees, -180 to 180), "
                        "lightness, sleeve_length, garment_length and neckline (training standard "
                        "deviations, -3 to 3; 0 keeps it). Returns an RGBA PNG garment.", **queue)
    ui.choose_edit.click(lambda value: inputs.path(value, "edit"), ui.edited, ui.chosen,
                         api_visibility="private", preprocess=False)

    # Choosing and moving garments between the slots: files only, no model. Those that
    # can refuse are queued: only a queued event's gr.Error reaches the user as a toast.
    for grid in (ui.designs, ui.variations):
        grid.select(_picked, grid, ui.chosen, api_visibility="private", queue=False)
    for button, slot in ((ui.use_a, ui.slot_a), (ui.use_b, ui.slot_b)):
        button.click(lambda value: inputs.path(value, "chosen garment"), ui.chosen, slot,
                     api_visibility="private", preprocess=False)
    ui.choose_blend.click(lambda value: inputs.path(value, "blend"), ui.blended, ui.chosen,
                          api_visibility="private", preprocess=False)

    # "Try it on": the chosen garment goes to the Try-On tab, which is shown, with the person
    # photo left as it is; when there is one, the try-on runs straight away.
    async def try_on_if_person(person: Any, garment: Any) -> Any:  # a designed garment is flat
        if not person:
            return gr.skip(), gr.skip(), gr.skip()
        return await try_on(person, garment, "flat", with_steps=True)

    ui.send.click(lambda value: (inputs.path(value, "chosen garment"), gr.Tabs(selected="tryon")),
                  ui.chosen, [ui.garment, ui.tabs], api_visibility="private",
                  preprocess=False).success(
        try_on_if_person, [ui.person, ui.garment], [ui.result, ui.steps, ui.notes],
        api_visibility="private", **UNLIMITED)


def build_demo(weights_dir: str | Path | None = None) -> gr.Blocks:
    """The Blocks app (not launched); the pipelines are loaded on the first request.
    ``weights_dir``: the garment designer folder for the Design tab (``config.json`` and
    ``model.safetensors``, optionally ``prior/`` and ``directions/``); None for the bundled
    ``assets/weights/garment-designer``."""
    people, garments = (sorted(p for p in (examples_dir() / kind).glob("*")
                               if p.suffix.lower() in IMAGE_SUFFIXES)
                        for kind in ("person", "garments"))
    ui = SimpleNamespace()
    with gr.Blocks(title="tryon: virtual try-on", analytics_enabled=False,
                   delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(HEADER, elem_id="tryon-header")
        with gr.Tabs(selected="tryon") as ui.tabs:
            _try_on_tab(ui, people, garments)
            design_tab(ui)
        _try_on_events(ui)
        _design_events(ui, weights_dir)
    demo.queue(max_size=MAX_QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, *, weights_dir: str | Path | None = None,
           **kwargs: Any) -> gr.Blocks:
    """Build and serve the app on ``host:port``; extra ``kwargs`` go to ``Blocks.launch``.
    ``weights_dir`` is the garment designer folder for the Design tab (None: the bundled one).

    The server gets a private cache folder (removed when it stops), the REST endpoint and
    at most :data:`~tryon.serving.memory.ARENA_MAX` malloc arenas. Unless
    ``prevent_thread_lock=True``, this serves until SIGTERM or Ctrl-C, then stops cleanly
    and removes the cache; otherwise it returns the app at once (its address is
    ``demo.local_url``; ``demo.close()`` stops it; the cache goes at interpreter exit)."""
    limit_arenas()
    base = os.environ.get(lifecycle.ENV)
    cache = lifecycle.private_cache()
    build_graphs()  # MediaPipe's environment set here, before any serving thread reads it (tryon.pose)
    demo = build_demo(weights_dir)
    block = not kwargs.pop("prevent_thread_lock", False)
    app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
    app_kwargs["routes"] = [*app_kwargs.get("routes", []), *rest_routes(get_gate, get_pipeline)]
    demo.launch(**{"server_name": host, "server_port": port, "max_file_size": MAX_UPLOAD_SIZE,
                   "run_history": False, "theme": gr.themes.Default(), "css": CSS,
                   "max_threads": MAX_THREADS, "app_kwargs": app_kwargs, **kwargs},
                prevent_thread_lock=True)
    if block:
        lifecycle.serve_until_stopped(demo, lambda: _stopped(cache, base))
    return demo


def _stopped(cache: Path, base: str | None) -> None:
    """After the server closed: waiting try-ons are dropped, running ones finish (they write
    into the cache), then the cache folder goes."""
    if _gate:
        _gate[""].shutdown(wait=True)
    lifecycle.remove_cache(cache, base)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:  # damaged weights: refuse to start with the sentence that names the file (as `tryon serve`)
        get_pipeline()
        get_design_pipeline()
    except TryOnError as err:
        raise SystemExit(f"error: {err}") from None
    launch()
