"""The Design tab's layout (the app's events and handlers stay in ``gradio_app``), and the image
inputs both tabs use. Components are put on one namespace (``ui.seed``, ``ui.chosen``, ...)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

__all__ = ["N_RANGE", "TEMPERATURE_RANGE", "STRENGTH_RANGE", "SEED_RANGE", "HUE_RANGE", "SLIDER_RANGE",
           "EDIT_SLIDERS", "DEFAULT_N", "upload", "design_tab"]

# Design tab: the ranges the UI offers and the API accepts.
N_RANGE = (1, 16)
TEMPERATURE_RANGE = (0.0, 2.0)
STRENGTH_RANGE = (0.0, 2.0)
SEED_RANGE = (0, 2**32 - 1)
HUE_RANGE = (-180.0, 180.0)          # degrees
SLIDER_RANGE = (-3.0, 3.0)           # training standard deviations of the attribute
EDIT_SLIDERS = (("lightness", "Lightness"), ("sleeve_length", "Sleeve length"),
                ("garment_length", "Garment length"), ("neckline", "Neckline depth"))
DEFAULT_N = 8


def upload(sources: list[str], label: str, elem_id: str, height: int,
            **kwargs: Any) -> gr.Image:
    """An image input that Gradio never re-encodes: tryon.io sees the file (EXIF, alpha...)."""
    return gr.Image(sources=sources, type="filepath", image_mode=None, label=label,
                    height=height, elem_id=elem_id, **kwargs)


def _garment_slot(label: str, elem_id: str, height: int) -> gr.Image:
    """A Design-tab garment: a PNG file (alpha = the garment's mask) shown over the checker."""
    return upload(["upload", "clipboard"], label, elem_id, height, format="png",
                   elem_classes="design-garment")


def _garment_grid(label: str, elem_id: str, height: int | str) -> gr.Gallery:
    """A Design-tab grid of RGBA PNG garments to download or click."""
    return gr.Gallery(label=label, format="png", columns=4, height=height, object_fit="contain",
                      allow_preview=False, interactive=False, buttons=["download"],
                      elem_id=elem_id, elem_classes="design-garments")


def design_tab(ui: SimpleNamespace) -> None:
    """The Design tab, in four steps. Garments travel as files: PNG with alpha (the garment's
    mask), shown over a light checker (CSS); the Try-On tab takes the same file unchanged."""
    seed = {"value": 0, "precision": 0, "minimum": SEED_RANGE[0], "maximum": SEED_RANGE[1],
            "label": "Seed"}
    with gr.Tab("Design", id="design", elem_id="tab-design"):
        with gr.Row():
            with gr.Column(scale=3):
                gr.Markdown("**1. Generate** new garments: the same seed gives the same "
                            "garments; temperature 0 gives real training garments, higher ones bolder mixes.")
                with gr.Row():
                    ui.seed = gr.Number(**seed, elem_id="design-seed")
                    ui.temperature = gr.Slider(*TEMPERATURE_RANGE, value=1.0, step=0.05,
                                               label="Temperature", elem_id="design-temperature")
                    ui.count = gr.Slider(*N_RANGE, value=DEFAULT_N, step=1, label="How many",
                                         elem_id="design-n")
                with gr.Row():
                    ui.generate = gr.Button("Generate", variant="primary",
                                            elem_id="design-generate")
                    ui.reseed = gr.Button("New seed", elem_id="design-reseed")
                ui.designs = _garment_grid("Generated garments: click one to choose it",
                                           "design-gallery", "auto")
            with gr.Column(scale=2):
                gr.Markdown("**2. Choose** a garment (or upload one), then try it on, blend it "
                            "or vary it.")
                ui.chosen = _garment_slot("Chosen garment", "design-chosen", 420)
                ui.send = gr.Button("Try it on", variant="primary", elem_id="design-send")
                with gr.Row():
                    ui.use_a = gr.Button("Use as A", size="sm", elem_id="design-use-a")
                    ui.use_b = gr.Button("Use as B", size="sm", elem_id="design-use-b")
        with gr.Row():
            with gr.Column(scale=3):
                gr.Markdown("**3. Blend** two garments: slide from A to B.")
                with gr.Row():
                    ui.slot_a = _garment_slot("Garment A", "design-a", 260)
                    ui.blended = gr.Image(format="png", type="pil", image_mode="RGBA",
                                          interactive=False, height=260, label="Blend",
                                          elem_id="design-blend", elem_classes="design-garment")
                    ui.slot_b = _garment_slot("Garment B", "design-b", 260)
                ui.mix = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="t: from A (0) to B (1)",
                                   elem_id="design-t")
                with gr.Row():
                    ui.blend = gr.Button("Blend", elem_id="design-blend-run")
                    ui.choose_blend = gr.Button("Choose the blend", elem_id="design-choose-blend")
            with gr.Column(scale=2):
                gr.Markdown("**4. Vary** the chosen garment: small strengths keep it close, large "
                            "ones roam.")
                with gr.Row():
                    ui.strength = gr.Slider(*STRENGTH_RANGE, value=0.5, step=0.05,
                                            label="Strength", elem_id="design-strength")
                    ui.vary_count = gr.Slider(*N_RANGE, value=4, step=1, label="How many",
                                              elem_id="design-vary-n")
                    ui.vary_seed = gr.Number(**seed, elem_id="design-vary-seed")
                ui.vary = gr.Button("Vary", elem_id="design-vary")
                ui.variations = _garment_grid("Variations: click one to choose it",
                                              "design-variations", 260)
        _edit_row(ui)


def _edit_row(ui: SimpleNamespace) -> None:
    """Step 5 of the Design tab: attribute sliders on the chosen garment."""
    with gr.Row():
        with gr.Column(scale=3):
            gr.Markdown("**5. Edit** the chosen garment: turn its colour, make it lighter or darker, "
                        "its sleeves or body longer or shorter, its neckline deeper (0 keeps it as it is; "
                        "about -2 to 2 stays among real garments).")
            ui.hue = gr.Slider(*HUE_RANGE, value=0.0, step=5, label="Hue (degrees)", elem_id="design-hue")
            ui.edit_sliders = [gr.Slider(*SLIDER_RANGE, value=0.0, step=0.1, label=label,
                                         elem_id=f"design-{name.replace('_', '-')}")
                               for name, label in EDIT_SLIDERS]
            with gr.Row():
                ui.edit = gr.Button("Edit", elem_id="design-edit")
                ui.choose_edit = gr.Button("Choose the edit", elem_id="design-choose-edit")
        with gr.Column(scale=2):
            ui.edited = gr.Image(format="png", type="pil", image_mode="RGBA", interactive=False,
                                 height=320, label="Edited", elem_id="design-edited",
                                 elem_classes="design-garment")
