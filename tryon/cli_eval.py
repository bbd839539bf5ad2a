"""``tryon eval ...``: the evaluation commands (the arguments are in :mod:`tryon.cli_args`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tryon.cli_common import EXIT_OK, CliError, _design, _n_val, _pipeline, _write_json


def _eval_output(args: argparse.Namespace) -> Path:
    """Check the options of ``tryon eval`` (the try-on); the JSON report's path."""
    if args.data is None:
        args.usage_error("the following arguments are required: --data")
    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1.")
    if args.pairs is not None and args.val_pairs is not None:
        raise CliError("Pass --pairs or --val-pairs, not both.")
    if args.pairs is not None and args.portion != "val":
        raise CliError("Pass --pairs or --portion, not both: --portion picks held-out pairs of the data set's "
                       "own pairs file.")
    out = args.output or Path(f"eval-tryon-{args.mode}.json")
    if out.suffix.lower() != ".json":
        raise CliError(f"The report file must end in .json, not '{out.name}'.")
    if args.pairs is None and _n_val(args) < 1:
        raise CliError("--val-pairs must be at least 1.")
    return out


def cmd_eval_wild(args: argparse.Namespace) -> int:
    from tryon.eval_wild import evaluate_wild

    if args.persons is None or args.garments is None:
        args.usage_error("--wild needs --persons DIR and --garments DIR")
    sheet = args.output or Path("eval-wild.png")
    if sheet.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise CliError(f"With --wild, -o is the contact sheet and must end in .png or .jpg, not '{sheet.name}'.")
    report = evaluate_wild(_pipeline(args), args.persons, args.garments, sheet)
    _write_json(report, sheet.with_suffix(".json"))
    for garment, ratio in report["texture_ratio"].items():
        print(f"texture ratio {'-' if ratio is None else f'{ratio:.2f}'}  {garment}")
    print(f"median texture ratio {report['median']} over {len(report['tryons'])} try-ons")
    for t in report["tryons"]:
        if "refused" in t:
            print(f"refused: {t['person']} in {t['garment']}: {t['refused']}", file=sys.stderr)
    print(f"wrote {sheet} and {sheet.with_suffix('.json')}")
    return EXIT_OK


def cmd_eval_tryon(args: argparse.Namespace) -> int:
    from tryon.eval_tryon import eval_tryon, refused_lines, select_pairs, summary_lines

    if args.wild:
        return cmd_eval_wild(args)
    out = _eval_output(args)
    layout, pairs, source = select_pairs(args.data, args.split, args.pairs, _n_val(args), args.portion)
    pipe = _pipeline(args)
    report = eval_tryon(pipe, layout, pairs, mode=args.mode, out_dir=out.parent,
                        grid_name=f"{out.stem}-grid.png", seed=args.seed, limit=args.limit)
    report = {**report, "precision": pipe.precision, "data": str(args.data), "pairs_file": source}
    _write_json(report, out)
    print("\n".join(summary_lines(report)))
    for line in refused_lines(report):
        print(line, file=sys.stderr)
    print(f"wrote {out} and {report['grid']}")
    return EXIT_OK


def _write_report(report: dict, out: Path) -> None:
    _write_json(report, out)
    print(json.dumps(report, indent=2))
    print(f"wrote {out}")


def cmd_eval_garment_vae(args: argparse.Namespace) -> int:
    from tryon.assets import weights_dir
    from tryon.eval_designer import garment_vae_and_designer_report, summary_lines
    from tryon.evaluate import garment_vae_report

    if args.samples < 10 or args.per_source < 1:
        raise CliError("--samples must be at least 10 and --per-source at least 1.")
    designer = args.designer
    if designer is None and (weights_dir() / "garment-designer" / "model.safetensors").is_file():
        designer = weights_dir() / "garment-designer"
    check = _design(args.weights or weights_dir() / "garment-vae")
    common = {"split": args.split, "cache": args.cache, "n_val": _n_val(args), "clothing": args.clothing,
              "per_source": args.per_source}
    report = garment_vae_report(check, args.data, **common) if designer is None else \
        garment_vae_and_designer_report(check, args.data, generator=_design(designer), generator_folder=designer,
                                        portion=args.portion, samples=args.samples, seed=args.seed, **common)
    _write_json({**report, "weights": str(args.weights or "bundled")}, args.out)
    print("\n".join(summary_lines(report)))
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_eval_sliders(args: argparse.Namespace) -> int:
    from tryon.eval_sliders import report_lines, slider_report

    report = slider_report(_design(args.weights), n=args.n, seed=args.seed)
    _write_json({**report, "weights": str(args.weights or "bundled")}, args.out)
    print("\n".join(report_lines(report)))
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_eval_body_vae(args: argparse.Namespace) -> int:
    from tryon.evaluate import body_vae_report

    report = body_vae_report(args.data, split=args.split, cache=args.cache, weights=args.weights,
                             n_val=_n_val(args))
    _write_report(report, args.out)
    return EXIT_OK


def cmd_eval_parser(args: argparse.Namespace) -> int:
    from tryon.eval_parser import evaluate_parser

    report = evaluate_parser(args.data, weights=args.weights, split=args.split, n_val=_n_val(args),
                             portion=args.portion, limit=args.limit, pose=args.with_pose,
                             skin_tops=args.skin_tops, out=args.out)
    print(json.dumps(report, indent=2))
    return EXIT_OK


def cmd_eval_cutter(args: argparse.Namespace) -> int:
    from tryon.data import default_cache_dir, find_layout
    from tryon.eval_cutter import evaluate_cutter

    cache = args.cache or default_cache_dir(find_layout(args.data, args.split).split)
    report = evaluate_cutter(args.data, args.wild, cache, weights=args.weights, split=args.split,
                             n_val=_n_val(args), limit=args.limit, out=args.out)
    print(json.dumps(report, indent=2))
    return EXIT_OK


def cmd_eval_sleeves(args: argparse.Namespace) -> int:
    from tryon.eval_sleeves import evaluate_sleeves

    report = evaluate_sleeves(args.data, weights=args.weights, split=args.split, n_val=_n_val(args),
                              portion=args.portion, clothing=args.clothing, per_class=args.per_class,
                              limit=args.limit, out=args.out)
    print(json.dumps(report, indent=2))
    return EXIT_OK


def cmd_eval_worn(args: argparse.Namespace) -> int:
    from tryon.eval_worn import evaluate_worn

    report = evaluate_worn(_pipeline(args), args.data, split=args.split, n_val=args.val_pairs,
                           portion=args.portion, limit=args.limit, seed=args.seed, out=args.out)
    print(json.dumps({k: v for k, v in report.items() if k != "refused"}, indent=2))
    for r in report["refused"]:
        print(f"refused: {r['person']} in {r['worn_photo']}: {r['error']}", file=sys.stderr)
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_eval_rings(args: argparse.Namespace) -> int:
    from tryon.assets import weights_dir
    from tryon.eval_rings import evaluate_rings

    report = evaluate_rings(args.data, weights=args.weights or weights_dir(), split=args.split, cache=args.cache,
                            n_val=_n_val(args), portion=args.portion, limit=args.limit, out=args.out)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_eval_lengths(args: argparse.Namespace) -> int:
    from tryon.eval_lengths import measure_lengths

    if args.pairs < 1:
        raise CliError("--pairs must be at least 1.")
    report = measure_lengths(args.data, split=args.split, cache=args.cache, pairs=args.pairs, seed=args.seed,
                             out=args.out)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_eval_garment_check(args: argparse.Namespace) -> int:
    from tryon.eval_garment_check import evaluate_garment_check

    if args.per_source < 1:
        raise CliError("--per-source must be at least 1.")
    report = evaluate_garment_check(viton=args.viton, clothing=args.clothing, persons=args.persons,
                                    per_source=args.per_source, weights=args.weights,
                                    out=None if args.calibrate else args.out, calibrate_check=args.calibrate)
    print(json.dumps(report if args.calibrate else report["rates"], indent=2))
    if not args.calibrate:
        print(f"wrote {args.out}")
    return EXIT_OK
