"""What the command's modules share: exit codes, and the pipelines they load (only the command
line and the app import pipelines)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tryon.constants import DEFAULT_GARMENT_WARP, VALIDATION_PAIRS

EXIT_OK = 0
EXIT_INPUT = 1       # bad input, or some pairs of a batch failed
EXIT_USAGE = 2       # argparse's own code for bad command lines
EXIT_INTERNAL = 3    # a bug: please report it
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A command-line problem with one sentence for the user (exit 1)."""


def _pipeline(args: argparse.Namespace):
    from pipelines import TryOnPipeline

    return TryOnPipeline.from_pretrained(args.weights, mode=args.mode, precision=args.precision,
                                         region=args.region, garment_type=args.garment_type,
                                         full_resolution=args.full_resolution,
                                         garment_warp=getattr(args, "garment_warp", DEFAULT_GARMENT_WARP))


def _design(weights: Path | None):
    from pipelines.design_pipeline import GarmentDesignPipeline

    return GarmentDesignPipeline.from_pretrained(weights)


def _n_val(args: argparse.Namespace) -> int:
    return VALIDATION_PAIRS if args.val_pairs is None else args.val_pairs


def _write_json(report: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
