"""The arguments of ``tryon eval MODEL``: one small function per model or measurement.

As in :mod:`tryon.cli_args` (which re-exports them; ``tryon eval worn``, which takes the
try-on's renderer options, stays there): each adds its parser to ``models`` (the ``tryon eval``
sub-parsers) and returns it. Only argparse and constants here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tryon.constants import VALIDATION_PAIRS

__all__ = ["eval_garment_vae", "eval_body_vae", "eval_garment_check", "eval_sliders", "held_out", "eval_parser",
           "eval_sleeves", "eval_lengths", "eval_rings", "eval_cutter"]

Sub = argparse._SubParsersAction  # what ArgumentParser.add_subparsers returns


def _vae_eval(models: Sub, shared: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    e = models.add_parser(name, parents=[shared], help=f"evaluate the {name}")
    e.add_argument("--data", type=Path, required=True, help="VITON-style data set folder")
    e.add_argument("--split", default="train")
    e.add_argument("--cache", type=Path, help="cache folder (default <data>/<split>/tryon-cache)")
    e.add_argument("--weights", type=Path, help=f"weights folder (default assets/weights/{name})")
    e.add_argument("--val-pairs", type=int, default=None, help="held-out pairs (default 500)")
    e.add_argument("-o", "--output", "--out", dest="out", type=Path, default=Path("runs") / f"eval-{name}.json",
                   help="JSON report")
    return e


def eval_garment_vae(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    e = _vae_eval(models, shared, "garment-vae")
    e.description = ("The garment VAE's reconstruction SSIM, garment-check AUROCs and nearest-training distances; "
                     "then the design studio's generator (--designer): two-sample classifier accuracy of its "
                     "samples (as `tryon generate --n N --seed S` writes them) and of its reconstructions "
                     "against held-out real garments, diversity, novelty, reconstruction SSIM and the garment "
                     "check's false-warning rates (tryon.eval_designer).")
    e.add_argument("--clothing", type=Path, help="clothing_upper folder for in-the-wild figures")
    e.add_argument("--designer", type=Path, metavar="DIR", help="generator folder, as `GarmentDesignPipeline."
                   "from_pretrained` loads it (default: the bundled garment-designer, when there is one)")
    e.add_argument("--samples", type=int, default=300, metavar="N",
                   help="generated and real garments compared (default 300)")
    e.add_argument("--seed", type=int, default=11, metavar="S", help="the generator's seed (default 11)")
    e.add_argument("--portion", choices=("val", "test"), default="val",
                   help="real garments: the validation pairs' or the untouched test portion's (default val)")
    e.add_argument("--per-source", type=int, default=30, metavar="N",
                   help="photos the garment check scores per source, and samples it scores (default 30)")
    return e


def eval_body_vae(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    return _vae_eval(models, shared, "body-vae")


def eval_garment_check(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("garment-check", parents=[shared], help="measure the garment check's warnings",
                          description="How often `tryon check-garment` says \"not a garment\", per source, on "
                          "the held-out portion: VITON garments and persons upscaled to 768x1024, clothing_upper "
                          "photos in the wild, scikit-image's non-garments, --persons photos and the bundled "
                          "examples (tryon.eval_garment_check). --calibrate refits the check on the calibration "
                          "portion and prints the JSON for the garment VAE's config.json.")
    p.add_argument("--viton", type=Path, required=True, metavar="DIR", help="VITON-style data set folder")
    p.add_argument("--clothing", type=Path, required=True, metavar="DIR",
                   help="clothing_upper folder (images/ + images.csv)")
    p.add_argument("--persons", type=Path, metavar="DIR", help="extra person photos (held-out report only)")
    p.add_argument("--per-source", type=int, default=300, metavar="N", help="photos per source (default 300)")
    p.add_argument("--weights", type=Path, metavar="DIR", help="garment VAE folder (default: bundled)")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-garment-check.json", metavar="FILE",
                   help="JSON report")
    p.add_argument("--calibrate", action="store_true", help="refit the check on the calibration portion "
                   "and print its JSON instead")
    return p


def eval_sliders(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("sliders", parents=[shared], help="measure the Design tab's attribute sliders",
                          description="Edit N prior samples with each attribute slider at several values, "
                          "measure the decoded garments, and report per slider the Spearman correlation of "
                          "its value with its own attribute and the largest with any other (tryon.eval_sliders).")
    p.add_argument("--n", type=int, default=50, help="prior samples (default 50)")
    p.add_argument("--seed", type=int, default=0, help="picks the samples (default 0)")
    p.add_argument("--weights", type=Path, metavar="DIR", help="garment designer folder (default: bundled)")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-sliders.json", help="JSON report")
    return p


def held_out(p: argparse.ArgumentParser, what: str) -> None:
    """--data, --split, --val-pairs and --portion: which held-out VITON ``what`` to evaluate."""
    p.add_argument("--data", type=Path, required=True, help="VITON-style data set folder")
    p.add_argument("--split", default="train")
    p.add_argument("--val-pairs", type=int, default=None, help="held-out pairs (default 500)")
    p.add_argument("--portion", choices=("val", "test"), default="val",
                   help=f"the validation {what} (default), or the untouched test portion: report it once")


def eval_parser(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("parser", parents=[shared], help="evaluate the body parser",
                          description="Score the body parser on held-out VITON photos against their "
                          "parse maps: IoU of background, hair, face, upper clothes, lower clothes, arms "
                          "and legs, their mean (mIoU), and the milliseconds per 256x192 frame.")
    held_out(p, "persons")
    p.add_argument("--weights", type=Path, help="parser weights folder (default: bundled)")
    p.add_argument("--with-pose", action="store_true",
                   help="also score what `tryon parse` writes (MediaPipe decides background; slower)")
    p.add_argument("--skin-tops", action="store_true",
                   help="recolour each photo's upper garment in the person's own skin tone first: "
                   "can the parser tell a skin-coloured top from bare skin?")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N photos")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-parser.json",
                   help="JSON report; the grid is <OUT>-grid.png beside it")
    return p


def eval_cutter(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("cutter", parents=[shared], help="evaluate the garment cutter against GrabCut",
                          description="Cut garments out of photos taken on beds, floors and hangers, with the "
                          "learned cutter and with GrabCut: IoU with the true outline on made-up photos (the "
                          "validation garments on held-out backgrounds), and a sheet of held-out real "
                          "clothing_upper photos with both cut-outs, to look at.")
    p.add_argument("--data", type=Path, required=True, help="VITON-style data set folder")
    p.add_argument("--split", default="train")
    p.add_argument("--val-pairs", type=int, default=None, help="held-out pairs (default 500)")
    p.add_argument("--wild", type=Path, required=True, metavar="DIR", help="the clothing_upper folder")
    p.add_argument("--cache", type=Path, help="where the backgrounds are kept (default <data>/<split>/tryon-cache)")
    p.add_argument("--weights", type=Path, help="cutter weights folder (default: bundled)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N garments and real photos")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-cutter.json",
                   help="JSON report; the sheet is <OUT>-sheet.png beside it")
    return p


def eval_sleeves(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("sleeves", parents=[shared], help="evaluate how garments' sleeves are told",
                          description="Tell the sleeves (sleeveless, short, long) of held-out VITON garments "
                          "from their photos, against what their wearers show: the mask's keypoints, the "
                          "sleeve reader, and both as the try-on combines them; with --clothing, also on "
                          "wild garment photos by class.")
    held_out(p, "garments")
    p.add_argument("--weights", type=Path, help="sleeve reader weights folder (default: bundled)")
    p.add_argument("--clothing", type=Path, metavar="DIR",
                   help="the clothing_upper folder (images.csv, images/): also score wild photos")
    p.add_argument("--per-class", type=int, default=100, metavar="N", help="wild photos per class (default 100)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N held-out pairs")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-sleeves.json", help="JSON report")
    return p


def eval_lengths(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("lengths", parents=[shared], help="measure how long garments hang against their photos",
                          description="On training pairs (never the validation pairs or the test portion), "
                          "compare each garment photo's hem and sleeve lengths, fitted with the photo's own "
                          "proportions, with the same garment in its wearer's parse map; report the medians "
                          "behind the spline's length calibration (tryon.warp.MEASURED_LENGTHS).")
    p.add_argument("--data", type=Path, required=True, metavar="DIR",
                   help="VITON-style data set (with image-parse/ and a `tryon prepare` landmark cache)")
    p.add_argument("--split", default="train", help="split folder (default train)")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="the landmark cache `tryon prepare` made (default <data>/<split>/tryon-cache)")
    p.add_argument("--pairs", type=int, default=400, metavar="N", help="training pairs to draw (default 400)")
    p.add_argument("--seed", type=int, default=0, help="draws the pairs")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-lengths.json", help="JSON report")
    return p


def eval_rings(models: Sub, shared: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = models.add_parser("rings", parents=[shared], help="measure what the network paints where an old top was wider",
                          description="On held-out VITON pairs (with a `tryon prepare` landmark cache), grow each "
                          "pair's repaint region as if the person's top were wider and longer than the garment "
                          "they wear, let the try-on network paint it, and score the ring against the photo "
                          "(L1, SSIM), with region SSIM with and without the ring (tryon.eval_rings).")
    held_out(p, "pairs")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="the landmark cache `tryon prepare` made (default <data>/<split>/tryon-cache)")
    p.add_argument("--weights", type=Path, help="weights folder laid out like assets/weights (default: bundled)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N pairs")
    p.add_argument("--out", type=Path, default=Path("runs") / "eval-rings.json",
                   help="JSON report; the grid is <OUT>-grid.png beside it")
    return p
