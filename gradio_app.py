"""The tryon web app: a thin Gradio UI and HTTP API over :class:`pipelines.TryOnPipeline`.

Run it with ``tryon serve`` (or ``python gradio_app.py``). The ``/try_on`` endpoint takes
(person, garment) image files and returns (result image, step images, warnings text).

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
import threading
from pathlib import Path
from typing import Any

import gradio as gr

from pipelines import TryOnPipeline
from tryon.constants import MAX_UPLOAD_SIZE
from tryon.errors import TryOnError

__all__ = ["build_demo", "launch", "try_on", "get_pipeline"]

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
}

CSS = """
#tryon-header { text-align: center; }
#tryon-run { max-width: 320px; margin: 0 auto; }
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


# -- the request handler --------------------------------------------------------------------
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


# -- the UI ---------------------------------------------------------------------------------
def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def _caption(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ")


def build_demo() -> gr.Blocks:
    """The Blocks app (not launched). The pipeline is loaded on the first request."""
    people = _images(EXAMPLES_DIR / "person")
    garments = _images(EXAMPLES_DIR / "garments")

    with gr.Blocks(title="tryon: virtual try-on", analytics_enabled=False,
                   delete_cache=DELETE_CACHE) as demo:
        gr.Markdown(
            "# tryon: virtual try-on\n"
            "Upload a photo of yourself (head to hips, facing the camera) and a garment "
            "photo, or pick an example garment, then press **Try on**. "
            "Your photos are only used for this request and are deleted from the server "
            "within about an hour.",
            elem_id="tryon-header",
        )
        with gr.Tab("Try-On"):
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
                                   object_fit="contain", interactive=False, elem_id="steps")

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
            concurrency_limit=CONCURRENCY_LIMIT,
        )
    demo.queue(max_size=MAX_QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def launch(host: str = "127.0.0.1", port: int = 7860, **kwargs: Any) -> gr.Blocks:
    """Build and serve the app on ``host:port``; extra ``kwargs`` go to ``Blocks.launch``.

    Blocks until the server stops unless ``prevent_thread_lock=True``; returns the app
    (its address is ``demo.local_url``; ``demo.close()`` stops it).
    """
    demo = build_demo()
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
