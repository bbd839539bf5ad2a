"""The ``tryon`` command.

Every sub-command has ``--help``. Bad input prints ONE line (``error: ...``) to stderr and
exits with status 1; ``--debug`` shows the traceback instead. Heavy imports happen inside
the commands, so ``tryon --help`` is instant.

The command line only parses and calls: each sub-command is an arguments function in
:mod:`tryon.cli_args` and a short ``cmd_*`` function (here; ``tryon eval`` ones in
:mod:`tryon.cli_eval`) that calls a pipeline, a training task
(:func:`tryon.training.tasks.build_task`) or an evaluation (:mod:`tryon.eval_tryon`,
:mod:`tryon.evaluate`, :mod:`tryon.bench`). To add a command, write both and list them in
:data:`COMMANDS` (or :data:`EVAL_MODELS` for ``tryon eval MODEL``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path

from tryon import cli_args as A
from tryon.cli_common import (EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE,  # noqa: F401
                              CliError, _design, _n_val, _pipeline, _write_json)
from tryon.cli_eval import (cmd_eval_body_vae, cmd_eval_cutter, cmd_eval_garment_check, cmd_eval_garment_vae,
                            cmd_eval_lengths, cmd_eval_parser, cmd_eval_rings, cmd_eval_sleeves, cmd_eval_sliders,
                            cmd_eval_tryon, cmd_eval_worn)
from tryon.errors import TryOnError
from tryon.quiet import set_verbose

__all__ = ["main", "build_parser"]

BAD_PAIR_LINE = "expected 'person garment' (two file names)"  # a batch pairs line that is not two names


# ----------------------------------------------------------------------------------------
# Try-on
# ----------------------------------------------------------------------------------------
def _check_output_suffix(path: Path) -> None:
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise CliError(f"The output file must end in .png, .jpg or .webp, not '{path.name}'.")


def _input(path: Path | None) -> Path | str | None:
    """An input argument as the loader takes it: ``http(s)://`` addresses (which ``Path`` folds
    to ``http:/host``) become URL strings again; anything else stays a path."""
    text = str(path) if path is not None else ""
    for scheme in ("http:/", "https:/"):
        if text.lower().startswith(scheme) and not text.lower().startswith(scheme + "/"):
            return text[: len(scheme)] + "/" + text[len(scheme):]
    return path


def cmd_try_on(args: argparse.Namespace) -> int:
    from tryon.io import save_image

    _check_output_suffix(args.output)
    out = _pipeline(args)(person=_input(args.person), garment=_input(args.garment),
                          garment_mask=_input(args.garment_mask), with_steps=bool(args.steps))
    save_image(out.image, args.output)
    if args.steps:
        for name, img in out.steps.items():
            save_image(img, args.steps / f"{name}.png")
    for w in out.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"wrote {args.output} ({out.image.width}x{out.image.height}, {out.timings['total'] * 1000:.0f} ms)")
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    from tryon.batch import my_share, run_pairs
    from tryon.pairs import read_pairs

    for d, what in ((args.person_dir, "person"), (args.garment_dir, "garment")):
        if not d.is_dir():
            raise CliError(f"The {what} folder '{d}' does not exist.")
    pairs, bad_lines = read_pairs(args.pairs)
    share = my_share(pairs)
    # each malformed line is reported once, by the main process
    failures = [(f"line {line.number}", BAD_PAIR_LINE) for line in bad_lines] if share.is_main else []
    result = run_pairs(_pipeline(args), share, person_dir=args.person_dir, garment_dir=args.garment_dir,
                       out=args.out, overwrite=args.overwrite, debug=args.debug)
    failures += result.failures
    print(f"done {result.done}, skipped {result.skipped} already done, failed {len(failures)} "
          f"(of {len(share.pairs)} pairs{' in this process' if share.processes > 1 else ''})")
    for where, why in failures:
        print(f"failed: {where}: {why}", file=sys.stderr)
    return EXIT_INPUT if failures else EXIT_OK


# ----------------------------------------------------------------------------------------
# Data and training
# ----------------------------------------------------------------------------------------
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


def _train_extras(args: argparse.Namespace) -> dict:
    """The options of ``tryon train MODEL`` that only that model has, for its task."""
    if args.model == "tryon":
        return {"vaes": args.vaes, "codes": not args.no_codes, "prepare_workers": args.prepare_workers,
                "region": args.region, "init_from": args.init_from, "lr": args.lr, "reset_flow": args.reset_flow}
    if args.model == "parser":
        return {"backgrounds": args.backgrounds, "steps": args.steps, "init_from": args.init_from, "lr": args.lr}
    if args.model == "sleeve-reader":
        return {"steps": args.steps, "wild": args.wild}
    if args.model == "garment-cutter":
        return {"steps": args.steps, "wild": args.wild, "init_from": args.init_from, "lr": args.lr,
                "wild_repeat": args.wild_repeat}
    if args.model == "garment-designer":
        return {"init_from": args.init_from, "latent_dim": args.latent_dim}
    if args.model == "garment-refiner":
        return {"init_from": args.init_from}
    return {}


def cmd_train(args: argparse.Namespace) -> int:
    from tryon.training import TrainOptions, train
    from tryon.training.tasks import build_task

    task = build_task(args.model, args.data, split=args.split, cache=args.cache, seed=args.seed,
                      n_val=_n_val(args), limit=args.limit, **_train_extras(args))
    options = TrainOptions(
        run_dir=args.run_dir, max_steps=args.steps, batch_size=args.batch_size, grad_accum=args.grad_accum,
        mixed_precision=args.mixed_precision, seed=args.seed, num_workers=args.num_workers,
        log_every=args.log_every, sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        max_minutes=args.max_minutes, resume=not args.no_resume)
    summary = train(task, options)
    print(f"{args.model}: step {summary['step']} ({summary['stopped']}), "
          f"{summary['images_per_second']} images/s, weights in {summary['export_dir']}")
    if args.export_to and Path(summary["export_dir"]).is_dir():
        _copy_export(Path(summary["export_dir"]), args.export_to)
    return EXIT_OK


def _copy_export(export_dir: Path, to: Path) -> None:
    """Copy each exported model folder of ``export_dir`` into ``to`` (e.g. assets/weights)."""
    import shutil

    for folder in export_dir.iterdir():
        target = to / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for f in folder.iterdir():
            if f.is_dir():  # e.g. garment-designer/prior/
                shutil.copytree(f, target / f.name, dirs_exist_ok=True)
            else:
                shutil.copy2(f, target / f.name)
        print(f"copied {folder.name} weights to {target}")


# ----------------------------------------------------------------------------------------
# Garment design
# ----------------------------------------------------------------------------------------
def cmd_generate(args: argparse.Namespace) -> int:
    from tryon.io import save_image
    from tryon.sheet import save_sheet, sheet_format_known

    if args.n < 1 or args.temperature < 0 or args.strength < 0 or args.steps < 2:
        raise CliError("--n must be at least 1, --steps at least 2, --temperature and --strength at least 0.")
    if args.edit and (args.blend or args.vary):
        raise CliError("--edit works on sampled garments or on --from IMAGE, not with --blend or --vary.")
    if args.from_ and not args.edit:
        raise CliError("--from IMAGE needs at least one --edit NAME=VALUE.")
    if args.sampler != "auto" and (args.blend or args.vary or args.from_):
        raise CliError("--sampler chooses what new samples come from; --blend, --vary and --from start from your garments.")
    if args.sheet and not sheet_format_known(args.sheet):
        raise CliError(f"--sheet needs a picture file name such as sheet.jpg or sheet.png, not '{args.sheet.name}'.")
    design = _design(args.weights)
    if not design.has_sampler(args.sampler):
        raise CliError(f"This garment designer has no {args.sampler} prior; refit it with `tryon fit-design` "
                       "or choose another --sampler.")
    edits = dict(args.edit)
    if args.blend:
        images, stem = design.interpolate(args.blend[0], args.blend[1], args.steps), "blend"
    elif args.vary:
        images, stem = design.vary(args.vary, args.strength, args.n, args.seed), f"vary_{args.vary.stem}"
    elif args.from_:
        images, stem = [design.edit(args.from_, **edits)], f"edit_{args.from_.stem}"
    elif edits:
        codes = design.edit_codes(design.sample_codes(args.n, args.seed, args.temperature, args.sampler), **edits)
        images, stem = design.decode(codes), f"edit_s{args.seed}"
    else:
        images, stem = design.sample(args.n, args.seed, args.temperature, args.sampler), f"sample_s{args.seed}"
    for i, img in enumerate(images):
        save_image(img, args.out / f"{stem}_{i:03d}.png")
    print(f"wrote {len(images)} garments to {args.out}")
    if args.sheet:
        print(f"wrote the contact sheet {save_sheet(images, args.sheet)}")
    return EXIT_OK


def cmd_fit_design(args: argparse.Namespace) -> int:
    from tryon.training.design_fit import fit_design

    report = fit_design(args.data, weights=args.weights, cache=args.cache, limit=args.limit,
                        split=args.split, components=args.components, keep_prior=args.keep_prior,
                        keep_directions=args.keep_directions)
    print(json.dumps(report, indent=2))
    return EXIT_OK


def cmd_check_garment(args: argparse.Namespace) -> int:
    from tryon.io import load_image

    load_image(args.image, what="image")  # unreadable files are an input error, not a verdict
    result = _design(args.weights).anomaly(args.image)
    verdict = "garment" if result.is_garment else "not a garment"
    print(f"{args.image}: {verdict} (score {result.score:.1f}, threshold {result.threshold:.1f})"
          + (f": {result.reason}" if result.reason else ""))
    return EXIT_OK



# ----------------------------------------------------------------------------------------
# Body parsing
# ----------------------------------------------------------------------------------------
def cmd_parse(args: argparse.Namespace) -> int:
    from tryon.parse import Parser, parse_files

    parser = Parser.from_pretrained(args.weights)
    done, failures = parse_files(args.photos, args.out, preview=args.preview, parser=parser)
    print(f"done {done}, failed {len(failures)}; label maps in {args.out}")
    for where, why in failures:
        print(f"failed: {where}: {why}", file=sys.stderr)
    return EXIT_INPUT if failures else EXIT_OK


# ----------------------------------------------------------------------------------------
# Serving and timing
# ----------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import gradio_app

    # Load the models before serving: damaged or truncated weights stop the start with the
    # loader's sentence naming the file (exit 1), instead of failing every request later.
    # The app keeps what is loaded here. A --designer folder that does not exist yet is
    # left to the Design tab, which picks it up once it is there.
    gradio_app.get_pipeline()
    if args.designer is None or args.designer.exists():
        gradio_app.get_design_pipeline(args.designer)
    gradio_app.launch(host=args.host, port=args.port, weights_dir=args.designer)
    return EXIT_OK


def _bench_inputs(args: argparse.Namespace) -> tuple[Path, Path]:
    """``(person, garment)`` files of ``tryon bench``: the given ones, or the bundled examples."""
    from tryon.assets import examples_dir
    from tryon.bench import BENCH_PERSON

    examples = sorted((examples_dir() / "garments").glob("*.jpg"))
    if args.garment is None and not examples:
        raise CliError(f"No example garments in {examples_dir() / 'garments'}; pass --garment FILE.")
    return args.person or examples_dir() / BENCH_PERSON, args.garment or examples[0]


def cmd_bench(args: argparse.Namespace) -> int:
    from tryon.bench import bench_report, table_lines
    from tryon.io import load_image

    if args.runs < 1 or args.warmup < 0:
        raise CliError("--runs must be at least 1 and --warmup at least 0.")
    person_path, garment_path = _bench_inputs(args)
    # Decode once outside the loop; 'load' then measures validation of an in-memory image.
    person = load_image(person_path, what="person photo")
    garment = load_image(garment_path, keep_alpha=True, what="garment image")
    report = bench_report(_pipeline(args), person, garment, person_path=person_path,
                          garment_path=garment_path, mode=args.mode, runs=args.runs, warmup=args.warmup)
    print("\n".join(table_lines(report)))
    if args.json:
        _write_json(report, args.json)
    return EXIT_OK


# ----------------------------------------------------------------------------------------
# The parser and the entry point
# ----------------------------------------------------------------------------------------
COMMANDS = (  # (arguments of the sub-command, the function that runs it), in the order --help lists them
    (A.try_on, cmd_try_on),
    (A.batch, cmd_batch),
    (A.prepare, cmd_prepare),
    (A.train, cmd_train),
    (A.generate, cmd_generate),
    (A.fit_design, cmd_fit_design),
    (A.check_garment, cmd_check_garment),
    (A.eval_tryon, cmd_eval_tryon),
    (A.parse, cmd_parse),
    (A.serve, cmd_serve),
    (A.bench, cmd_bench),
)
EVAL_MODELS = (  # `tryon eval MODEL --data DIR ...`: (its arguments, the function that runs it)
    (A.eval_garment_vae, cmd_eval_garment_vae),
    (A.eval_body_vae, cmd_eval_body_vae),
    (A.eval_parser, cmd_eval_parser),
    (A.eval_sleeves, cmd_eval_sleeves),
    (A.eval_worn, cmd_eval_worn),
    (A.eval_lengths, cmd_eval_lengths),
    (A.eval_rings, cmd_eval_rings),
    (A.eval_cutter, cmd_eval_cutter),
    (A.eval_garment_check, cmd_eval_garment_check),
    (A.eval_sliders, cmd_eval_sliders),
)


def build_parser() -> argparse.ArgumentParser:
    common = A.common()
    parser = A.root(common)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_arguments, command in COMMANDS:
        add_arguments(sub, common).set_defaults(func=command)
    evals = sub.choices["eval"]
    models = A.eval_models(evals)
    for add_arguments, command in EVAL_MODELS:
        add_arguments(models, common).set_defaults(func=command)
    A.set_eval_usage(evals, models)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", False)
    set_verbose(verbose)  # before anything imports MediaPipe
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO if verbose else logging.WARNING,
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
