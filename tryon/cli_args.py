"""The arguments of the ``tryon`` command: one small function per sub-command.

Each function adds one sub-command's parser to ``sub`` (the ``add_subparsers`` action) with the
shared ``--debug`` (``common``) and returns it; :func:`tryon.cli.build_parser` then binds the
function that runs it. Only argparse and constants here, so ``tryon --help`` stays instant.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tryon import __version__
from tryon.constants import (DEFAULT_GARMENT_WARP, GARMENT_TYPES, GARMENT_WARPS, NET_PRECISIONS, REGION_SOURCES,
                             RENDER_MODES, SAMPLERS, SHEET_COLUMNS, VALIDATION_PAIRS)

from tryon.cli_args_eval import (eval_body_vae, eval_cutter, eval_garment_check, eval_garment_vae, eval_lengths,
                                 eval_parser, eval_rings, eval_sleeves, eval_sliders, held_out)

__all__ = ["common", "root", "try_on", "batch", "prepare", "train", "generate", "check_garment",
           "eval_tryon", "eval_models", "eval_garment_vae", "eval_body_vae", "set_eval_usage", "serve",
           "bench", "eval_worn", "eval_garment_check", "fit_design", "eval_sliders", "edit_value", "eval_parser",
           "eval_lengths", "eval_rings", "eval_cutter"]

Sub = argparse._SubParsersAction  # what ArgumentParser.add_subparsers returns

# The try-on's own line; the second names every model `tryon eval MODEL` accepts (see set_eval_usage).
EVAL_USAGE = ("tryon eval [-h] --data DIR [--pairs FILE | --val-pairs N] [--portion {val,test}] [--mode {learned,baseline,auto}] "
              "[--weights DIR] [--precision {auto,float32,bfloat16}] [--region {auto,parse,pose}] [--garment-type {auto,flat,worn}] [-o OUT.json] [--limit N] [--seed S]\n"
              "       tryon eval --wild --persons DIR --garments DIR -o SHEET.png\n"
              "       tryon eval MODELS --data DIR [...]")
TRAIN_MODELS = (
    ("garment-vae", "the garment VAE-GAN (in-shop garments + masks)"),
    ("garment-designer", "the design studio's generator: the garment VAE-GAN fine-tuned sharp, with a learned prior"),
    ("garment-refiner", "the design studio's refiner: the designer's 128x96 garments drawn sharp at 256x192"),
    ("body-vae", "the body-shape VAE (needs `tryon prepare` first)"),
    ("tryon", "the try-on GAN: flow warper + generator (needs `tryon prepare`)"),
    ("parser", "the body parser (photos + image-parse maps)"),
    ("sleeve-reader", "the sleeve reader: sleeveless, short or long, from a garment photo (garments, and the "
                      "parse maps and poses of their wearers)"),
    ("garment-cutter", "the garment cutter: the garment in a photo taken on a bed, floor or hanger (in-shop "
                       "garments + masks, laid on the backgrounds of --wild photos)"),
)


def common() -> argparse.ArgumentParser:
    """The arguments every (sub-)command takes: ``--debug`` and ``--verbose``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    # SUPPRESS: given before or after the sub-command, a sub-parser's default cannot undo it
    parser.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show the log lines of MediaPipe, TensorFlow Lite and absl (hidden by default)")
    return parser


def root(shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``tryon`` parser itself, before its sub-commands are added."""
    parser = argparse.ArgumentParser(
        prog="tryon",
        description="Virtual try-on: dress a person photo in a garment photo.",
        parents=[shared],
    )
    parser.add_argument("--version", action="version", version=f"tryon {__version__}")
    return parser


def renderer(p: argparse.ArgumentParser) -> None:
    """--mode, --weights and --precision: which try-on renderer, from which weights, how."""
    p.add_argument("--mode", choices=RENDER_MODES, default="auto",
                   help="renderer: the learned model when its weights are there (auto), learned, "
                   "or the landmark TPS baseline")
    p.add_argument("--weights", type=Path, metavar="DIR",
                   help="weights folder with tryon/, garment-vae/, body-vae/ (default: bundled)")
    p.add_argument("--precision", choices=NET_PRECISIONS, default="auto",
                   help="the network's arithmetic (default auto: bfloat16 on CPUs with bfloat16 "
                   "instructions, else float32)")
    p.add_argument("--region", choices=REGION_SOURCES, default="auto",
                   help="what decides the repaint region and the skin the network keeps: the body "
                   "parser, or the pose with the face-colour skin model (default auto: the parser "
                   "when its weights are there)")
    p.add_argument("--no-full-resolution", dest="full_resolution", action="store_false",
                   help="paste the network's 256x192 render back as it is instead of reading the "
                   "garment's own pixels at the photo's resolution (to compare)")
    p.add_argument("--garment-type", choices=GARMENT_TYPES, default="auto",
                   help="what garment photos show: the garment alone (flat), or a person wearing it "
                   "(worn: cut out with the body parser); default auto: worn when a wearer is found")
    p.add_argument("--garment-warp", choices=GARMENT_WARPS, default=DEFAULT_GARMENT_WARP,
                   help="at full resolution, read the garment photo through the network's broad fit "
                   "(broad, default: prints keep their shape), its refined warp with every bend (flow) "
                   "or the spline alone (spline)")


# ----------------------------------------------------------------------------------------
# Try-on
# ----------------------------------------------------------------------------------------
def try_on(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("try-on", parents=[shared], help="dress one person photo in one garment",
                       description="Dress PERSON in GARMENT and write the result at PERSON's size.")
    p.add_argument("person", type=Path, help="photo of a person (head to at least the waist)")
    p.add_argument("garment", type=Path, help="photo of a garment (PNG with transparency, plain "
                   "background, or any photo)")
    p.add_argument("-o", "--output", type=Path, required=True, help="result image (.png, .jpg, .webp)")
    p.add_argument("--garment-mask", type=Path, help="optional garment mask (white = garment)")
    renderer(p)
    p.add_argument("--steps", type=Path, metavar="DIR",
                   help="also write the intermediate steps (pose, parse, agnostic, garment, warped) here")
    return p


def batch(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("batch", parents=[shared], help="run many person/garment pairs",
                       description="Run every 'person garment' pair of FILE. Writes "
                       "OUT/<person stem>__<garment stem>.png, skips pairs already done, goes on "
                       "past bad pairs and lists them at the end (exit 1 if any failed). Under "
                       "`accelerate launch` the pairs are split across the processes.")
    p.add_argument("--pairs", type=Path, required=True, help="text file, one 'person garment' pair per line")
    p.add_argument("--person-dir", type=Path, required=True, help="folder of person photos")
    p.add_argument("--garment-dir", type=Path, required=True, help="folder of garment photos")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    renderer(p)
    p.add_argument("--overwrite", action="store_true", help="redo pairs whose output exists")
    return p


# ----------------------------------------------------------------------------------------
# Data and training
# ----------------------------------------------------------------------------------------
def prepare(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("prepare", parents=[shared], help="cache MediaPipe landmarks of a data set",
                       description="Run MediaPipe once over the person photos of a VITON or "
                       "VITON-HD style data set and cache landmarks and person masks compactly. "
                       "Resumes where a killed run stopped; lists unreadable photos.")
    p.add_argument("--data", type=Path, required=True, help="data set folder (holds train/ or image/)")
    p.add_argument("--split", default="train", help="split folder name (default train)")
    p.add_argument("--cache", type=Path, help="cache folder (default <data>/<split>/tryon-cache)")
    p.add_argument("--limit", type=int, help="only the first N photos (by name)")
    return p


def train(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``tryon train MODEL``: one parser per model of :data:`TRAIN_MODELS` (they share the defaults
    of the returned ``train`` parser, its ``func`` included)."""
    p = sub.add_parser("train", parents=[shared],
                       help="train a model (" + ", ".join(n for n, _ in TRAIN_MODELS) + ")",
                       description="Train a model on a VITON-style data set with the shared "
                       "Accelerate loop. Rerun the same command to resume; run it under "
                       "`accelerate launch` for several GPUs or machines.")
    models = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, helptext in TRAIN_MODELS:
        m = models.add_parser(name, parents=[shared], help=helptext, description=f"Train {helptext}.")
        training(m, name)
        if name == "tryon":
            m.add_argument("--vaes", type=Path, help="folder with the garment-vae/ and body-vae/ whose codes "
                           "condition the generator (default: the bundled assets/weights)")
            m.add_argument("--no-codes", action="store_true", help="train without VAE codes")
            m.add_argument("--prepare-workers", type=int, default=2,
                           help="processes that prepare the pairs cache (default 2)")
            m.add_argument("--region", choices=("parse", "pose"), default="parse",
                           help="the repaint region trained with: the body parser's, as the pipeline's "
                           "default (default), or the pose landmarks' alone")
            m.add_argument("--init-from", type=Path, metavar="DIR",
                           help="start from these exported try-on weights (fine-tuning), e.g. assets/weights/tryon")
            m.add_argument("--lr", type=float, help="learning rate of the generator and the discriminator "
                           "(default 2e-4)")
            m.add_argument("--reset-flow", action="store_true",
                           help="with --init-from: start the warper's flow at zero (after the spline changed)")
        if name == "garment-designer":
            m.add_argument("--init-from", type=Path, metavar="DIR",
                           help="the garment VAE to start from (default: the bundled assets/weights/garment-vae)")
            m.add_argument("--latent-dim", type=int, metavar="N",
                           help="train a fresh designer with a code of N numbers instead (no warm start; "
                           "a longer code holds more of a garment's print)")
        if name == "garment-refiner":
            m.add_argument("--init-from", type=Path, metavar="DIR",
                           help="the garment designer whose garments it refines (default: the bundled "
                           "assets/weights/garment-designer); export with --export-to assets/weights")
        if name == "sleeve-reader":
            m.add_argument("--wild", type=Path, metavar="DIR",
                           help="the CC0 clothing_upper folder: also learn from its garment photos taken in the "
                           "wild, labelled by class (its held-out senders are never trained on)")
        if name == "parser":
            m.add_argument("--backgrounds", type=Path, metavar="DIR",
                           help="photos to put behind the persons (e.g. the CC0 clothing_upper images); "
                           "without it, made-up textures only")
            m.add_argument("--init-from", type=Path, metavar="DIR",
                           help="start from these exported parser weights (fine-tuning), e.g. assets/weights/parser")
            m.add_argument("--lr", type=float, help="the learning rate after warm-up (default 3e-3)")
        if name == "garment-cutter":
            m.add_argument("--wild", type=Path, metavar="DIR", required=True,
                           help="the CC0 clothing_upper folder: its photos, their garments taken out, are the "
                           "backgrounds (its held-out senders' only for the sample grids)")
            m.add_argument("--init-from", type=Path, metavar="DIR",
                           help="start from these exported cutter weights (fine-tuning), e.g. "
                           "assets/weights/garment-cutter")
            m.add_argument("--lr", type=float, help="the learning rate after warm-up (default 3e-3)")
            m.add_argument("--wild-repeat", type=int, default=3, metavar="N",
                           help="lay each real garment cut out of the --wild photos (by GrabCut) on a background "
                           "N times an epoch beside the VITON garments (default 3; 0: VITON's alone)")
    return p


def training(p: argparse.ArgumentParser, model: str) -> None:
    """The options every ``tryon train MODEL`` takes."""
    p.add_argument("--data", type=Path, required=True, help="VITON-style data set folder")
    p.add_argument("--split", default="train", help="split folder (default train)")
    p.add_argument("--cache", type=Path, help="landmark/garment cache folder (default <data>/<split>/tryon-cache)")
    p.add_argument("--run-dir", type=Path, default=Path("runs") / model,
                   help=f"outputs: checkpoints, logs, samples, export (default runs/{model})")
    p.add_argument("--steps", type=int, default=6000, help="optimizer steps in total (default 6000)")
    p.add_argument("--batch-size", type=int, default=32, help="per process (default 32)")
    p.add_argument("--grad-accum", type=int, default=1, help="batches per optimizer step (default 1)")
    p.add_argument("--mixed-precision", choices=("no", "bf16", "fp16"), default="no",
                   help="bf16 autocast roughly halves CPU time; fp16 needs CUDA")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--max-minutes", type=float, help="stop cleanly after this wall time (resume later)")
    p.add_argument("--log-every", type=int, default=25, help="steps between loss logs")
    p.add_argument("--sample-every", type=int, default=250, help="steps between sample grids")
    p.add_argument("--checkpoint-every", type=int, default=250, help="steps between checkpoints")
    p.add_argument("--val-pairs", type=int, default=None,
                   help="held-out pairs at the end of the pairs file (default 500)")
    p.add_argument("--limit", type=int, help="train on the first N items only (smoke tests)")
    p.add_argument("--no-resume", action="store_true", help="start over even if run-dir has checkpoints")
    p.add_argument("--export-to", type=Path, help="also copy the exported weights into this folder "
                   "(e.g. assets/weights)")


# ----------------------------------------------------------------------------------------
# Garment design
# ----------------------------------------------------------------------------------------
def generate(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("generate", parents=[shared], help="design garments with the garment VAE",
                       description="Write new garments as RGBA PNGs (alpha = the garment's mask): "
                       "N samples from a seed, a blend of two garments, or variations of one.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--blend", nargs=2, type=Path, metavar=("A", "B"), help="blend garment A into B")
    mode.add_argument("--vary", type=Path, metavar="IMAGE", help="variations of this garment")
    mode.add_argument("--from", dest="from_", type=Path, metavar="IMAGE",
                      help="start from this garment instead of samples (with --edit)")
    p.add_argument("--n", type=int, default=8, help="how many samples or variations (default 8)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same garments (default 0)")
    p.add_argument("--temperature", type=float, default=1.0, help="how far samples move from real training garments (0: none; default 1.0)")
    p.add_argument("--steps", type=int, default=5, help="garments along a blend, ends included (default 5)")
    p.add_argument("--strength", type=float, default=0.5, help="how far variations roam (default 0.5)")
    p.add_argument("--sampler", choices=SAMPLERS, default="auto",
                   help="what samples are drawn from: anchors (between two similar training garments), "
                   "mixture (the fitted Gaussian mixture), normal (N(0, I)); auto: the first the designer has")
    p.add_argument("--sheet", type=Path, metavar="FILE",
                   help=f"also write every garment on white into one contact sheet (PNG or JPEG), "
                   f"{SHEET_COLUMNS} per row")
    p.add_argument("--edit", type=edit_value, action="append", default=[], metavar="NAME=VALUE",
                   help="move an attribute slider of the sampled (or --from) garments; repeatable: hue "
                   "(degrees), lightness, sleeve_length, garment_length, neckline (training standard "
                   "deviations, about -2 to 2)")
    p.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    p.add_argument("--weights", type=Path, help="garment designer folder (default: bundled)")
    return p


def edit_value(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` of ``--edit`` -> ``(name, value)``; the name is checked by the command."""
    name, sep, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not sep or not name.strip() or number != number or abs(number) == float("inf"):
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER (e.g. sleeve_length=1.5), not '{text}'")
    return name.strip(), number


def fit_design(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("fit-design", parents=[shared], help="fit a garment designer's priors and sliders",
                       description="Encode the training garments of a VITON-style data set with a garment "
                       "designer's VAE, measure their attributes, and (re)fit its learned priors (prior/: a "
                       "mixture; anchors/: the codes sampling mixes) and attribute sliders (directions/). "
                       "Prints what it fitted.")
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="VITON-style data set folder")
    p.add_argument("--split", default="train", help="split folder (default train)")
    p.add_argument("--cache", type=Path, metavar="DIR", help="garment cache folder (default <data>/<split>/tryon-cache)")
    p.add_argument("--weights", type=Path, metavar="DIR",
                   help="garment designer folder to refit (default: the bundled assets/weights/garment-designer)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N training garments (quick fits)")
    p.add_argument("--components", type=int, default=32, metavar="K", help="prior mixture components (default 32)")
    p.add_argument("--keep-prior", action="store_true",
                   help="fit the sliders only; keep the prior (e.g. the one `tryon train garment-designer` "
                   "fitted on every training garment)")
    p.add_argument("--keep-directions", action="store_true",
                   help="fit the priors only; keep the sliders")
    return p


def check_garment(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("check-garment", parents=[shared], help="is this image a garment photo?",
                       description="Score IMAGE under the garment VAE and say whether it looks like a garment photo.")
    p.add_argument("image", type=Path)
    p.add_argument("--weights", type=Path, help="garment VAE folder (default: bundled)")
    return p


# ----------------------------------------------------------------------------------------
# Evaluation: `tryon eval --data ...` is the try-on; an optional MODEL word picks another model.
# ----------------------------------------------------------------------------------------
def eval_tryon(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``tryon eval``: the try-on's own options. ``--data`` is checked by the command (with the
    parser's ``usage_error``), since ``tryon eval MODEL --data ...`` declares its own."""
    p = sub.add_parser(
        "eval", parents=[shared], help="measure the try-on (or a VAE) on held-out data",
        usage=EVAL_USAGE,
        description="Evaluate the try-on end to end from raw photos on held-out VITON pairs: "
        "paired SSIM, PSNR and L1 (also inside the try-on region) at 256x192, and how often an "
        "unpaired result takes the target garment's colours. Writes JSON and a grid PNG beside "
        "it. The data set's parse maps and cloth masks are used only to measure. "
        "`tryon eval garment-vae|body-vae --data DIR` evaluate the VAEs instead.")
    p.add_argument("--data", type=Path, metavar="DIR", help="VITON-style data set folder (required)")
    p.add_argument("--split", default="train", help="split folder (default train)")
    p.add_argument("--pairs", type=Path, metavar="FILE", help="VITON pairs file, 'person.jpg "
                   f"garment.jpg' per line (default: the validation split, the last {VALIDATION_PAIRS} "
                   "pairs of the data set's pairs file)")
    p.add_argument("--val-pairs", type=int, metavar="N", help="without --pairs: evaluate the last N "
                   f"pairs of the pairs file (default {VALIDATION_PAIRS})")
    p.add_argument("--portion", choices=("val", "test"), default="val",
                   help="without --pairs: the validation pairs (default), or the untouched test portion "
                   "just before them (persons and garments of no validation pair): report it once")
    renderer(p)
    p.add_argument("-o", "--output", type=Path, metavar="OUT.json",
                   help="JSON report (default eval-tryon-<mode>.json here); the grid is <OUT>-grid.png")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N pairs")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="picks the unpaired garments (default 0)")
    p.add_argument("--wild", action="store_true",
                   help="instead of VITON: every photo of --persons with every garment of --garments; "
                   "-o is then the contact sheet (.png or .jpg), with the texture ratios in <OUT>.json")
    p.add_argument("--persons", type=Path, metavar="DIR", help="with --wild: folder of person photos")
    p.add_argument("--garments", type=Path, metavar="DIR", help="with --wild: folder of garment photos")
    p.set_defaults(usage_error=p.error)
    return p


def eval_models(eval_parser: argparse.ArgumentParser) -> Sub:
    """The optional MODEL word of ``tryon eval``; add one parser per model to what it returns."""
    return eval_parser.add_subparsers(dest="model", metavar="MODEL", required=False, prog="tryon eval",
                                      help="optional: evaluate a VAE instead of the try-on")


def set_eval_usage(eval_parser: argparse.ArgumentParser, models: Sub) -> None:
    """Name every model added to ``models`` in the usage line of ``tryon eval``."""
    eval_parser.usage = EVAL_USAGE.replace("MODELS", "{" + ",".join(models.choices) + "}")


def eval_worn(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("worn", parents=[shared], help="evaluate garments taken from photos of people wearing them",
                          description="Dress each held-out VITON person in another pair's garment twice: "
                          "from its in-shop photo and from the photo of the person wearing it. Reports "
                          "the region SSIM between the two results and how often the torso took the "
                          "garment's colour; writes <OUT>-grid.png beside the JSON report.")
    held_out(p, "pairs")
    renderer(p)
    p.add_argument("--limit", type=int, metavar="N", help="only the first N pairs")
    p.add_argument("--seed", type=int, default=0, help="picks each person's garment")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-worn.json", help="JSON report")
    return p


# ----------------------------------------------------------------------------------------
# Body parsing
# ----------------------------------------------------------------------------------------
def parse(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("parse", parents=[shared], help="label body parts and clothes in person photos",
                       description="Write DIR/<stem>.png for each PHOTO: a palette PNG of LIP label ids "
                       "(0 background, 2 hair, 5 upper clothes, 6 dress, 7 coat, 9 pants, 12 skirt, 13 "
                       "face, 14/15 left/right arm, 16/17 legs, 18/19 shoes) at the photo's own size. "
                       "Goes on past bad photos, lists them at the end and exits 1 if any failed.")
    p.add_argument("photos", type=Path, nargs="+", metavar="PHOTO", help="person photos")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--preview", action="store_true", help="also write DIR/<stem>-preview.png, the "
                   "photo tinted by label")
    p.add_argument("--weights", type=Path, metavar="DIR", help="parser weights folder (default: bundled)")
    return p


# ----------------------------------------------------------------------------------------
# Serving and timing
# ----------------------------------------------------------------------------------------
def serve(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("serve", parents=[shared], help="serve the Gradio app",
                       description="Serve the web app and its API (/try_on).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--designer", "--garment-vae", dest="designer", type=Path, metavar="DIR",
                   help="garment designer folder for the Design tab (default: bundled garment-designer; "
                   "a garment-vae folder works too, sampling N(0, I))")
    return p


def bench(sub: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("bench", parents=[shared], help="time each stage of a try-on",
                       description="Time a try-on per stage on a 512x512 photo; print median "
                       "and p90 milliseconds.")
    p.add_argument("--person", type=Path, help="person photo (default: the bundled astronaut, 512x512)")
    p.add_argument("--garment", type=Path, help="garment image (default: the first bundled example)")
    p.add_argument("--runs", type=int, default=30, help="timed runs (default 30)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    renderer(p)
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return p
