"""The ``tryon`` command.

Every sub-command has ``--help``. Bad input prints ONE line (``error: ...``) to stderr and
exits with status 1; ``--debug`` shows the traceback instead. Heavy imports happen inside
the commands, so ``tryon --help`` is instant.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path

from tryon import __version__
from tryon.constants import NET_PRECISIONS, RENDER_MODES, VALIDATION_PAIRS
from tryon.errors import TryOnError

__all__ = ["main", "build_parser"]

EXIT_OK = 0
EXIT_INPUT = 1       # bad input, or some pairs of a batch failed
EXIT_USAGE = 2       # argparse's own code for bad command lines
EXIT_INTERNAL = 3    # a bug: please report it
EXIT_INTERRUPTED = 130
PAIR_SEPARATOR = "__"  # batch outputs are <person stem>__<garment stem>.png
BENCH_PERSON = Path("person") / "astronaut.png"  # under the bundled examples
EVAL_USAGE = ("tryon eval [-h] --data DIR [--pairs FILE | --val-pairs N] [--mode {learned,baseline,auto}] "
              "[--weights DIR] [--precision {auto,float32,bfloat16}] [-o OUT.json] [--limit N] [--seed S]\n"
              "       tryon eval {garment-vae,body-vae} --data DIR [...]")
BENCH_STAGES = ("load", "pose", "align", "garment", "checks", "warp", "composite", "render", "net",
                "paste_back", "total")


class CliError(Exception):
    """A command-line problem with one sentence for the user (exit 1)."""


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="tryon",
        description="Virtual try-on: dress a person photo in a garment photo.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"tryon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("try-on", parents=[common], help="dress one person photo in one garment",
                       description="Dress PERSON in GARMENT and write the result at PERSON's size.")
    p.add_argument("person", type=Path, help="photo of a person (head to at least the waist)")
    p.add_argument("garment", type=Path, help="photo of a garment (PNG with transparency, plain "
                   "background, or any photo)")
    p.add_argument("-o", "--output", type=Path, required=True, help="result image (.png, .jpg, .webp)")
    p.add_argument("--garment-mask", type=Path, help="optional garment mask (white = garment)")
    _renderer_args(p)
    p.add_argument("--steps", type=Path, metavar="DIR",
                   help="also write the intermediate steps (pose, agnostic, garment, warped) here")
    p.set_defaults(func=cmd_try_on)

    p = sub.add_parser("batch", parents=[common], help="run many person/garment pairs",
                       description="Run every 'person garment' pair of FILE. Writes "
                       "OUT/<person stem>__<garment stem>.png, skips pairs already done, goes on "
                       "past bad pairs and lists them at the end (exit 1 if any failed). Under "
                       "`accelerate launch` the pairs are split across the processes.")
    p.add_argument("--pairs", type=Path, required=True, help="text file, one 'person garment' pair per line")
    p.add_argument("--person-dir", type=Path, required=True, help="folder of person photos")
    p.add_argument("--garment-dir", type=Path, required=True, help="folder of garment photos")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _renderer_args(p)
    p.add_argument("--overwrite", action="store_true", help="redo pairs whose output exists")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("prepare", parents=[common], help="cache MediaPipe landmarks of a data set",
                       description="Run MediaPipe once over the person photos of a VITON or "
                       "VITON-HD style data set and cache landmarks and person masks compactly. "
                       "Resumes where a killed run stopped; lists unreadable photos.")
    p.add_argument("--data", type=Path, required=True, help="data set folder (holds train/ or image/)")
    p.add_argument("--split", default="train", help="split folder name (default train)")
    p.add_argument("--cache", type=Path, help="cache folder (default <data>/<split>/tryon-cache)")
    p.add_argument("--limit", type=int, help="only the first N photos (by name)")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", parents=[common], help="train a model (garment-vae, body-vae, tryon, parser)",
                       description="Train a model on a VITON-style data set with the shared "
                       "Accelerate loop. Rerun the same command to resume; run it under "
                       "`accelerate launch` for several GPUs or machines.")
    models = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, helptext in (("garment-vae", "the garment VAE-GAN (in-shop garments + masks)"),
                           ("body-vae", "the body-shape VAE (needs `tryon prepare` first)"),
                           ("tryon", "the try-on GAN: flow warper + generator (needs `tryon prepare`)"),
                           ("parser", "the body parser (photos + image-parse maps)")):
        m = models.add_parser(name, parents=[common], help=helptext, description=f"Train {helptext}.")
        _training_arguments(m, name)
        if name == "tryon":
            m.add_argument("--vaes", type=Path, help="folder with the garment-vae/ and body-vae/ whose codes "
                           "condition the generator (default: the bundled assets/weights)")
            m.add_argument("--no-codes", action="store_true", help="train without VAE codes")
            m.add_argument("--prepare-workers", type=int, default=2,
                           help="processes that prepare the pairs cache (default 2)")
        if name == "parser":
            m.add_argument("--backgrounds", type=Path, metavar="DIR",
                           help="photos to put behind the persons (e.g. the CC0 clothing_upper images); "
                           "without it, made-up textures only")
        m.set_defaults(func=cmd_train)

    p = sub.add_parser("generate", parents=[common], help="design garments with the garment VAE",
                       description="Write new garments as RGBA PNGs (alpha = the garment's mask): "
                       "N samples from a seed, a blend of two garments, or variations of one.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--blend", nargs=2, type=Path, metavar=("A", "B"), help="blend garment A into B")
    mode.add_argument("--vary", type=Path, metavar="IMAGE", help="variations of this garment")
    p.add_argument("--n", type=int, default=8, help="how many samples or variations (default 8)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same garments (default 0)")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling spread (default 1.0)")
    p.add_argument("--steps", type=int, default=5, help="garments along a blend, ends included (default 5)")
    p.add_argument("--strength", type=float, default=0.5, help="how far variations roam (default 0.5)")
    p.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    p.add_argument("--weights", type=Path, help="garment VAE folder (default: bundled)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("check-garment", parents=[common], help="is this image a garment photo?",
                       description="Score IMAGE under the garment VAE and say whether it looks like a garment photo.")
    p.add_argument("image", type=Path)
    p.add_argument("--weights", type=Path, help="garment VAE folder (default: bundled)")
    p.set_defaults(func=cmd_check_garment)

    p = sub.add_parser(
        "eval", parents=[common], help="measure the try-on (or a VAE) on held-out data",
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
    _renderer_args(p)
    p.add_argument("-o", "--output", type=Path, metavar="OUT.json",
                   help="JSON report (default eval-tryon-<mode>.json here); the grid is <OUT>-grid.png")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N pairs")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="picks the unpaired garments (default 0)")
    p.set_defaults(func=cmd_eval_tryon, usage_error=p.error)
    # `tryon eval --data ...` is the try-on; an optional MODEL word picks a VAE instead.
    evals = p.add_subparsers(dest="model", metavar="MODEL", required=False, prog="tryon eval",
                             help="optional: evaluate a VAE instead of the try-on")
    for name in ("garment-vae", "body-vae"):
        e = evals.add_parser(name, parents=[common], help=f"evaluate the {name}")
        e.add_argument("--data", type=Path, required=True, help="VITON-style data set folder")
        e.add_argument("--split", default="train")
        e.add_argument("--cache", type=Path, help="cache folder (default <data>/<split>/tryon-cache)")
        e.add_argument("--weights", type=Path, help=f"weights folder (default assets/weights/{name})")
        e.add_argument("--val-pairs", type=int, default=None, help="held-out pairs (default 500)")
        e.add_argument("--out", type=Path, default=Path("runs") / f"eval-{name}.json", help="JSON report")
        if name == "garment-vae":
            e.add_argument("--clothing", type=Path, help="clothing_upper folder for in-the-wild figures")
    evals.choices["garment-vae"].set_defaults(func=cmd_eval_garment_vae)
    evals.choices["body-vae"].set_defaults(func=cmd_eval_body_vae)

    p = sub.add_parser("serve", parents=[common], help="serve the Gradio app",
                       description="Serve the web app and its API (/try_on).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--garment-vae", type=Path, help="garment VAE folder for the Design tab (default: bundled)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("bench", parents=[common], help="time each stage of a try-on",
                       description="Time a try-on per stage on a 512x512 photo; print median "
                       "and p90 milliseconds.")
    p.add_argument("--person", type=Path, help="person photo (default: the bundled astronaut, 512x512)")
    p.add_argument("--garment", type=Path, help="garment image (default: the first bundled example)")
    p.add_argument("--runs", type=int, default=30, help="timed runs (default 30)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    _renderer_args(p)
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    p.set_defaults(func=cmd_bench)
    return parser


def _renderer_args(p: argparse.ArgumentParser) -> None:
    """--mode, --weights and --precision: which try-on renderer, from which weights, how."""
    p.add_argument("--mode", choices=RENDER_MODES, default="auto",
                   help="renderer: the learned model when its weights are there (auto), learned, "
                   "or the landmark TPS baseline")
    p.add_argument("--weights", type=Path, metavar="DIR",
                   help="weights folder with tryon/, garment-vae/, body-vae/ (default: bundled)")
    p.add_argument("--precision", choices=NET_PRECISIONS, default="auto",
                   help="the network's arithmetic (default auto: bfloat16 on CPUs with bfloat16 "
                   "instructions, else float32)")


def _training_arguments(p: argparse.ArgumentParser, model: str) -> None:
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
# Commands
# ----------------------------------------------------------------------------------------
def _pipeline(args: argparse.Namespace):
    from pipelines import TryOnPipeline

    return TryOnPipeline.from_pretrained(args.weights, mode=args.mode, precision=args.precision)


def cmd_try_on(args: argparse.Namespace) -> int:
    from tryon.io import save_image

    _check_output_suffix(args.output)
    out = _pipeline(args)(person=args.person, garment=args.garment, garment_mask=args.garment_mask)
    save_image(out.image, args.output)
    if args.steps:
        for name, img in out.steps.items():
            save_image(img, args.steps / f"{name}.png")
    for w in out.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"wrote {args.output} ({out.image.width}x{out.image.height}, {out.timings['total'] * 1000:.0f} ms)")
    return EXIT_OK


def _check_output_suffix(path: Path) -> None:
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise CliError(f"The output file must end in .png, .jpg or .webp, not '{path.name}'.")


def read_pairs(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Parse a pairs file: ``(pairs, problems)``; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CliError(f"We couldn't read the pairs file '{path}'; it must be a text file with "
                       "one 'person garment' pair per line.") from err
    pairs, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            problems.append((f"line {number}", "expected 'person garment' (two file names)"))
        else:
            pairs.append((parts[0], parts[1]))
    return pairs, problems


def cmd_batch(args: argparse.Namespace) -> int:
    from accelerate import PartialState
    from tqdm import tqdm

    from tryon.io import save_image

    for d, what in ((args.person_dir, "person"), (args.garment_dir, "garment")):
        if not d.is_dir():
            raise CliError(f"The {what} folder '{d}' does not exist.")
    import torch

    pairs, failures = read_pairs(args.pairs)
    # cpu=True lets accelerate/torchrun split work across CPU processes (it would not otherwise).
    state = PartialState(cpu=not torch.cuda.is_available())
    mine = pairs[state.process_index :: state.num_processes]
    if not state.is_main_process:
        failures = []  # each malformed line is reported once, by the main process
    pipe = _pipeline(args)
    args.out.mkdir(parents=True, exist_ok=True)
    done = skipped = 0
    bar = tqdm(mine, desc=f"try-on [{state.process_index}]" if state.num_processes > 1 else "try-on",
               unit="pair", position=state.process_index, disable=None)
    for person, garment in bar:
        target = args.out / f"{Path(person).stem}{PAIR_SEPARATOR}{Path(garment).stem}.png"
        if target.exists() and not args.overwrite:
            skipped += 1
            continue
        try:
            out = pipe(person=args.person_dir / person, garment=args.garment_dir / garment)
            save_image(out.image, target)
            done += 1
        except TryOnError as err:
            failures.append((f"{person} {garment}", str(err)))
        except Exception as err:  # one broken pair must not stop a catalogue run
            if args.debug:
                traceback.print_exc()
            failures.append((f"{person} {garment}", f"unexpected failure ({type(err).__name__}: {err})"))
    bar.close()
    print(f"done {done}, skipped {skipped} already done, failed {len(failures)} "
          f"(of {len(mine)} pairs{' in this process' if state.num_processes > 1 else ''})")
    for where, why in failures:
        print(f"failed: {where}: {why}", file=sys.stderr)
    return EXIT_INPUT if failures else EXIT_OK


def cmd_prepare(args: argparse.Namespace) -> int:
    from tryon.data import build_cache, default_cache_dir, find_layout

    layout = find_layout(args.data, args.split)
    names = sorted(p.name for p in layout.image.iterdir() if p.is_file())
    if args.limit is not None:
        names = names[: max(0, args.limit)]
    cache = args.cache or default_cache_dir(layout.split)
    manifest = build_cache(layout.image, cache, names=names)
    print(f"cached {manifest['images']} photos in {cache} ({manifest['not_ok']} fail the upper-body "
          f"check, {len(manifest['failed'])} unusable)")
    for name, why in sorted(manifest["failed"].items()):
        print(f"skipped: {name}: {why}", file=sys.stderr)
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    import shutil

    from tryon.training import TrainOptions, train
    from tryon.training.tasks import build_task

    extra = {"vaes": args.vaes, "codes": not args.no_codes, "prepare_workers": args.prepare_workers} \
        if args.model == "tryon" else {"backgrounds": args.backgrounds} if args.model == "parser" else {}
    task = build_task(args.model, args.data, split=args.split, cache=args.cache, seed=args.seed,
                      n_val=VALIDATION_PAIRS if args.val_pairs is None else args.val_pairs,
                      limit=args.limit, **extra)
    options = TrainOptions(
        run_dir=args.run_dir, max_steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum,
        mixed_precision=args.mixed_precision, seed=args.seed, num_workers=args.num_workers,
        log_every=args.log_every, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        max_minutes=args.max_minutes, resume=not args.no_resume)
    summary = train(task, options)
    print(f"{args.model}: step {summary['step']} ({summary['stopped']}), "
          f"{summary['images_per_second']} images/s, weights in {summary['export_dir']}")
    if args.export_to and Path(summary["export_dir"]).is_dir():
        for folder in Path(summary["export_dir"]).iterdir():
            target = args.export_to / folder.name
            target.mkdir(parents=True, exist_ok=True)
            for f in folder.iterdir():
                shutil.copy2(f, target / f.name)
            print(f"copied {folder.name} weights to {target}")
    return EXIT_OK


def _design(weights: Path | None):
    from pipelines.design_pipeline import GarmentDesignPipeline

    return GarmentDesignPipeline.from_pretrained(weights)


def cmd_generate(args: argparse.Namespace) -> int:
    from tryon.io import save_image

    if args.n < 1 or args.temperature < 0 or args.strength < 0 or args.steps < 2:
        raise CliError("--n must be at least 1, --steps at least 2, --temperature and --strength at least 0.")
    design = _design(args.weights)
    if args.blend:
        images, stem = design.interpolate(args.blend[0], args.blend[1], args.steps), "blend"
    elif args.vary:
        images, stem = design.vary(args.vary, args.strength, args.n, args.seed), f"vary_{args.vary.stem}"
    else:
        images, stem = design.sample(args.n, args.seed, args.temperature), f"sample_s{args.seed}"
    for i, img in enumerate(images):
        save_image(img, args.out / f"{stem}_{i:03d}.png")
    print(f"wrote {len(images)} garments to {args.out}")
    return EXIT_OK


def cmd_check_garment(args: argparse.Namespace) -> int:
    from tryon.io import load_image

    load_image(args.image, what="image")  # unreadable files are an input error, not a verdict
    result = _design(args.weights).anomaly(args.image)
    verdict = "garment" if result.is_garment else "not a garment"
    print(f"{args.image}: {verdict} (score {result.score:.1f}, threshold {result.threshold:.1f})"
          + (f": {result.reason}" if result.reason else ""))
    return EXIT_OK


def _write_report(report: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"wrote {out}")


def cmd_eval_tryon(args: argparse.Namespace) -> int:
    from tryon.data import find_layout
    from tryon.eval_tryon import eval_tryon, read_eval_pairs, validation_pairs

    if args.data is None:
        args.usage_error("the following arguments are required: --data")
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1.")
    if args.pairs is not None and args.val_pairs is not None:
        raise CliError("Pass --pairs or --val-pairs, not both.")
    out = args.output or Path(f"eval-tryon-{args.mode}.json")
    if out.suffix.lower() != ".json":
        raise CliError(f"The report file must end in .json, not '{out.name}'.")
    layout = find_layout(args.data, args.split)
    if args.pairs is not None:
        pairs, source = read_eval_pairs(args.pairs, layout), str(args.pairs)
    else:
        n_val = VALIDATION_PAIRS if args.val_pairs is None else args.val_pairs
        if n_val < 1:
            raise CliError("--val-pairs must be at least 1.")
        pairs, source = validation_pairs(layout, n_val), f"{layout.pairs} (last {n_val} pairs: validation)"
    pipe = _pipeline(args)
    report = eval_tryon(pipe, layout, pairs, mode=args.mode, out_dir=out.parent,
                        grid_name=f"{out.stem}-grid.png", seed=args.seed, limit=args.limit)
    report = {**report, "precision": pipe.precision, "data": str(args.data), "pairs_file": source}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    _print_eval_summary(report)
    print(f"wrote {out} and {report['grid']}")
    return EXIT_OK


def _fmt(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _print_eval_summary(report: dict) -> None:
    p, u = report["paired"], report["unpaired"]
    print(f"tryon eval ({report['mode']}): {report['pairs']} pairs, {len(report['refused'])} "
          f"try-ons refused, {_fmt(report['seconds_per_pair'], '.2f')} s per try-on")
    if p["unchanged"] or u["unchanged"]:
        print(f"unchanged: {p['unchanged']} paired and {u['unchanged']} unpaired results are the person "
              "photo itself (no try-on happened; paired figures count them as perfect)")
    print(f"paired ({p['evaluated']}): SSIM {_fmt(p['ssim'], '.4f')}, PSNR {_fmt(p['psnr'], '.2f')} dB, "
          f"L1 {_fmt(p['l1'], '.4f')}; try-on region: SSIM {_fmt(p['region_ssim'], '.4f')}, "
          f"L1 {_fmt(p['region_l1'], '.4f')}")
    print(f"unpaired ({u['evaluated']}, {u['skipped']} skipped): target colour taken "
          f"{_fmt(u['transfer'], '.1%')} (untouched photo: {_fmt(u['untouched_transfer'], '.1%')})")
    for r in report["refused"][:5]:
        print(f"refused: {r['person']} {r['garment']} ({r['kind']}): {r['error']}", file=sys.stderr)
    if len(report["refused"]) > 5:
        print(f"refused: ... and {len(report['refused']) - 5} more (listed in the JSON)", file=sys.stderr)


def cmd_eval_garment_vae(args: argparse.Namespace) -> int:
    from tryon import constants as C
    from tryon.data import GarmentDataset, default_cache_dir, find_layout, train_garments, val_garments
    from tryon.evaluate import eval_garment_vae

    layout = find_layout(args.data, args.split)
    cache_dir = args.cache or default_cache_dir(layout.split)
    n_val = C.VALIDATION_PAIRS if args.val_pairs is None else args.val_pairs
    design = _design(args.weights)
    # Every held-out garment counts (no cloth-mask filtering), so the figure is on all of them.
    val = GarmentDataset(layout, val_garments(layout, n_val), cache_dir=cache_dir, mask_check=False)
    train_set = GarmentDataset(layout, train_garments(layout, n_val), cache_dir=cache_dir)
    report = eval_garment_vae(design, layout, train_set, val, clothing_dir=args.clothing,
                              natural_images=_natural_images())
    report["weights"] = str(args.weights or "bundled")
    _write_report(report, args.out)
    return EXIT_OK


def _natural_images() -> list:
    """Public-domain photos that are not garments (from scikit-image, when installed)."""
    try:
        from PIL import Image
        from skimage import data
    except ImportError:
        return []
    names = ("astronaut", "coffee", "chelsea", "rocket", "cat", "immunohistochemistry")
    return [Image.fromarray(getattr(data, n)()) for n in names if hasattr(data, n)]


def cmd_eval_body_vae(args: argparse.Namespace) -> int:
    from tryon import constants as C
    from tryon.data import BodyDataset, LandmarkCache, default_cache_dir, find_layout, val_persons
    from tryon.evaluate import eval_body_vae
    from tryon.hub import load_extra
    from tryon.models.vae import VAE

    layout = find_layout(args.data, args.split)
    weights = args.weights or Path(__file__).resolve().parent.parent / "assets" / "weights" / "body-vae"
    vae = VAE.from_pretrained(weights)
    cache = LandmarkCache(args.cache or default_cache_dir(layout.split))
    n_val = C.VALIDATION_PAIRS if args.val_pairs is None else args.val_pairs
    val = BodyDataset(cache, [n for n in val_persons(layout, n_val) if n in cache])
    report = eval_body_vae(vae, val, anomaly_threshold=float(load_extra(weights)["anomaly_threshold"]), layout=layout)
    report["weights"] = str(weights)
    _write_report(report, args.out)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import gradio_app

    gradio_app.launch(host=args.host, port=args.port, weights_dir=args.garment_vae)
    return EXIT_OK


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def cmd_bench(args: argparse.Namespace) -> int:
    import platform

    import torch

    from tryon.assets import examples_dir
    from tryon.io import load_image

    if args.runs < 1 or args.warmup < 0:
        raise CliError("--runs must be at least 1 and --warmup at least 0.")
    examples = sorted((examples_dir() / "garments").glob("*.jpg"))
    if args.garment is None and not examples:
        raise CliError(f"No example garments in {examples_dir() / 'garments'}; pass --garment FILE.")
    if args.person is None:
        args.person = examples_dir() / BENCH_PERSON
    garment = args.garment or examples[0]
    # Decode once outside the loop; 'load' then measures validation of an in-memory image.
    person = load_image(args.person, what="person photo")
    garment_img = load_image(garment, keep_alpha=True, what="garment image")
    pipe = _pipeline(args)
    for _ in range(args.warmup):
        pipe(person=person, garment=garment_img)
    runs: dict[str, list[float]] = {k: [] for k in BENCH_STAGES}
    for _ in range(args.runs):
        t = pipe(person=person, garment=garment_img).timings
        for k in BENCH_STAGES:
            runs[k].append(t.get(k, 0.0) * 1000)
    report = {
        "person": str(args.person), "size": list(person.size), "garment": str(garment),
        "mode": args.mode, "precision": pipe.precision, "runs": args.runs,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "ms": {k: {"p50": round(_percentile(v, 0.5), 1), "p90": round(_percentile(v, 0.9), 1)}
               for k, v in runs.items()},
    }
    print(f"tryon bench: {person.width}x{person.height} photo, {args.runs} runs, "
          f"{report['threads']} torch threads, {pipe.precision} network")
    print(f"{'stage':<12}{'p50 ms':>10}{'p90 ms':>10}")
    for k, v in report["ms"].items():
        print(f"{k:<12}{v['p50']:>10.1f}{v['p90']:>10.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return EXIT_OK


# ----------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (TryOnError, CliError) as err:
        if args.debug:
            traceback.print_exc()
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # a bug: one line, unless --debug
        if args.debug:
            traceback.print_exc()
        else:
            print(f"error: unexpected failure ({type(err).__name__}: {err}); rerun with --debug "
                  "and report it.", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
