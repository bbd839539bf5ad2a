"""Build a training task by name, with its training and held-out data sets.

The CLI (``tryon train MODEL``) only parses its options and calls :func:`build_task`, so the
data sets, caches and models each task needs are wired here, not in the command line code.
"""

from __future__ import annotations

from pathlib import Path

from tryon import constants as C
from tryon.errors import TryOnError

__all__ = ["TASKS", "build_task"]

WILD_REPEAT = 2   # sleeve reader: each wild photo is seen this many times an epoch (1.4k of them beside 12k VITON garments)
CUT_WILD_REPEAT = 3  # garment cutter: each real garment (about 2k) is laid on a background this many times an epoch
TASKS = ("garment-vae", "garment-designer", "garment-refiner", "body-vae", "tryon", "parser", "sleeve-reader",
         "garment-cutter")


def build_task(name: str, data: str | Path, *, split: str = "train", cache: Path | None = None,
               n_val: int = C.VALIDATION_PAIRS, limit: int | None = None, seed: int = 0,
               vaes: Path | None = None, codes: bool = True, prepare_workers: int = 2,
               backgrounds: Path | None = None, steps: int | None = None, region: str = "parse",
               init_from: Path | None = None, lr: float | None = None, reset_flow: bool = False,
               wild: Path | None = None, latent_dim: int | None = None, wild_repeat: int = CUT_WILD_REPEAT):
    """The :class:`~tryon.training.loop.TrainingTask` for model ``name``.

    Args:
        name: one of :data:`TASKS`.
        data: a VITON-style data set folder; ``split`` its split folder.
        cache: landmark / garment / pairs cache folder (default ``<data>/<split>/tryon-cache``).
        n_val: the last this-many pairs are held out for validation.
        limit: train on the first N training items only (smoke runs).
        seed: the try-on's augmentation seed.
        vaes: try-on only: folder with the ``garment-vae/`` and ``body-vae/`` whose codes condition
            the generator (default: the bundled weights); ``codes=False`` trains without codes.
        prepare_workers: try-on only: processes that build the pairs cache.
        region: try-on only: the repaint region the network is trained with, ``"parse"`` (the
            bundled body parser's, as the pipeline's default) or ``"pose"`` (landmarks only).
        init_from: try-on: a folder of exported try-on weights to start from (fine-tuning);
            parser, garment cutter: a folder of exported weights of that model to start from (fine-tuning);
            garment-designer: the garment VAE it starts from (default: the bundled one);
            garment-refiner: the garment designer whose decodings it refines (default: the bundled one).
        lr: try-on: the learning rate of both networks (default :class:`TryOnHyper`'s); parser and
            garment cutter: the learning rate after warm-up (default :class:`ParserHyper`'s).
        reset_flow: try-on only, with ``init_from``: start the warper's flow at zero.
        backgrounds: parser only: a folder of photos to put behind the persons.
        wild: sleeve reader: the ``clothing_upper`` folder, whose photos it also learns from; garment
            cutter: the same folder, whose photos give it backgrounds.
        steps: parser, sleeve reader and garment cutter only: the run's length; the learning rate
            reaches its floor there.
        latent_dim: garment-designer only: train a fresh designer with a code of this many numbers
            (:meth:`~tryon.training.garment_designer.DesignerHyper.fresh`), not a warm start.
        wild_repeat: garment cutter only: how many times an epoch each real garment cut out of the
            ``wild`` photos is laid on a background beside the VITON garments (0: VITON's alone).

    Raises:
        TryOnError: one sentence, when the data or weights it needs are missing.
    """
    from tryon.data import default_cache_dir, find_layout

    layout = find_layout(data, split)
    cache_dir = Path(cache) if cache else default_cache_dir(layout.split)
    if name == "tryon":
        return _tryon(layout, cache_dir, n_val, limit, seed, vaes, codes, prepare_workers, region, init_from, lr,
                      reset_flow)
    if name == "garment-vae":
        from tryon.data import GarmentDataset, train_garments, val_garments
        from tryon.training.garment_vae import GarmentVAETask

        return GarmentVAETask(
            GarmentDataset(layout, train_garments(layout, n_val)[:limit], augment=True, cache_dir=cache_dir),
            GarmentDataset(layout, val_garments(layout, n_val), cache_dir=cache_dir))
    if name == "garment-designer":
        from tryon.assets import weights_dir
        from tryon.data import GarmentDataset, train_garments, val_garments
        from tryon.training.garment_designer import DesignerHyper, GarmentDesignerTask

        if latent_dim is not None and latent_dim < 1:
            raise TryOnError(f"--latent-dim must be a positive whole number (e.g. 256), not {latent_dim}.")
        if latent_dim is not None and init_from is not None:
            raise TryOnError("Pass either --init-from (a warm start) or --latent-dim (a fresh designer), not both.")
        start = None  # a fresh designer
        if latent_dim is None:
            start = Path(init_from) if init_from else weights_dir() / "garment-vae"
            if not (start / "model.safetensors").is_file():
                raise TryOnError(f"No garment VAE weights in '{start}' to start from; pass --init-from DIR.")
        names = train_garments(layout, n_val)[:limit]
        return GarmentDesignerTask(GarmentDataset(layout, names, augment=True, cache_dir=cache_dir),
                                   GarmentDataset(layout, val_garments(layout, n_val), cache_dir=cache_dir),
                                   GarmentDataset(layout, names, cache_dir=cache_dir), init_from=start,
                                   hyper=DesignerHyper.fresh(latent_dim) if latent_dim is not None else None)
    if name == "garment-refiner":
        return _garment_refiner(layout, cache_dir, n_val, limit, init_from)
    if name == "body-vae":
        from tryon.data import BodyDataset, LandmarkCache, train_persons, val_persons
        from tryon.training.body_vae import BodyVAETask

        lm = LandmarkCache(cache_dir)
        train_names = [n for n in train_persons(layout, n_val) if n in lm][:limit]
        val_names = [n for n in val_persons(layout, n_val) if n in lm]
        return BodyVAETask(BodyDataset(lm, train_names, augment=True), BodyDataset(lm, val_names))
    if name == "parser":
        from tryon.data.parsing import ParseAugment, ParseDataset, background_photos
        from tryon.data.split import train_persons, val_persons
        from tryon.training.parser_task import ParserHyper, ParserTask

        # The untouched test portion's persons are left out too (tryon.data.split.test_pairs).
        train_names = train_persons(layout, n_val, n_test=C.TEST_PAIRS)[:limit]
        augment = ParseAugment(background_photos(backgrounds))
        hyper = ParserHyper(**({"decay_steps": steps} if steps else {}), **({"lr": lr} if lr else {}))
        if init_from is not None and not (Path(init_from) / "model.safetensors").is_file():
            raise TryOnError(f"No parser weights in '{init_from}' to start from; pass a folder written by --export-to.")
        return ParserTask(ParseDataset(layout, train_names, augment), ParseDataset(layout, val_persons(layout, n_val)),
                          hyper=hyper, init_from=init_from)
    if name == "sleeve-reader":
        return _sleeve_reader(layout, cache_dir, n_val, limit, steps, wild)
    if name == "garment-cutter":
        return _garment_cutter(layout, cache_dir, n_val, limit, steps, lr, wild, init_from, wild_repeat)
    raise TryOnError(f"Unknown model '{name}'; choose one of {', '.join(TASKS)}.")


def _garment_refiner(layout, cache_dir, n_val, limit, init_from):
    """The refiner's task: the training garments prepared at the designer's resolution beside
    their shop photos at twice it (:class:`tryon.data.shop_photos.ShopPhotos`), behind the garment
    designer in ``init_from`` (default: the bundled one)."""
    from tryon.assets import weights_dir
    from tryon.data import GarmentDataset, train_garments, val_garments
    from tryon.data.shop_photos import ShopPhotos
    from tryon.hub import read_config
    from tryon.models.garment_refiner import SCALE
    from tryon.models.vae import VAEConfig
    from tryon.training.garment_refiner import GarmentRefinerTask

    designer = Path(init_from) if init_from else weights_dir() / "garment-designer"
    if not (designer / "model.safetensors").is_file():
        raise TryOnError(f"No garment designer weights in '{designer}' to refine; pass --init-from DIR.")
    h, w = VAEConfig(**read_config(designer)["config"]).resolution
    size = (h * SCALE, w * SCALE)
    return GarmentRefinerTask(
        ShopPhotos(layout, GarmentDataset(layout, train_garments(layout, n_val)[:limit], size=(h, w),
                                          cache_dir=cache_dir), size, augment=True),
        ShopPhotos(layout, GarmentDataset(layout, val_garments(layout, n_val), size=(h, w), cache_dir=cache_dir),
                   size), designer)


def _sleeve_reader(layout, cache_dir, n_val, limit, steps, wild):
    """The sleeve reader's task: the garments of the training pairs (not the test portion's), each
    labelled with the sleeve its wearer shows (:mod:`tryon.data.sleeves`), and with ``wild`` (the
    ``clothing_upper`` folder) the photos of its senders not held out, labelled by class
    (:mod:`tryon.data.wild_garments`), each seen :data:`WILD_REPEAT` times an epoch."""
    from tryon.data import GarmentDataset, train_garments, val_garments
    from tryon.data.sleeves import kind_of, sleeve_reach_labels
    from tryon.data.split import layout_pairs, test_pairs
    from tryon.models.sleeve_reader import SleeveReaderConfig
    from tryon.training.sleeve_task import EDGE_JITTER, SleeveDataset, SleeveHyper, SleeveTask

    size = SleeveReaderConfig().resolution
    kinds = {g: kind_of(r) for g, r in sleeve_reach_labels(layout, cache_dir).items() if r is not None}
    n_test = C.TEST_PAIRS if len(layout_pairs(layout)) > n_val + 2 * C.TEST_PAIRS else 0  # none in tiny sets
    held_out = {g for _, g in test_pairs(layout, n_val, n_test)}  # the untouched test portion's garments
    train = {g: k for g, k in kinds.items() if g not in held_out}
    train_set = SleeveDataset(GarmentDataset(layout, train_garments(layout, n_val)[:limit], size=size, augment=True,
                                             cache_dir=cache_dir), train, edge_jitter=EDGE_JITTER)
    if wild is not None:
        from torch.utils.data import ConcatDataset

        from tryon.data.wild_garments import WildGarments, wild_photos

        photos = WildGarments(wild, wild_photos(wild, held_out=False)[:limit], size, cache_dir, augment=True)
        train_set = ConcatDataset([train_set] + [photos] * WILD_REPEAT)
    return SleeveTask(
        train_set,
        SleeveDataset(GarmentDataset(layout, val_garments(layout, n_val), size=size, cache_dir=cache_dir), kinds),
        hyper=SleeveHyper(decay_steps=steps) if steps else SleeveHyper())


def _garment_cutter(layout, cache_dir, n_val, limit, steps, lr, wild, init_from, wild_repeat):
    """The garment cutter's task: the training garments (not the test portion's), and the real
    garments of ``wild`` (the ``clothing_upper`` folder) cut out by GrabCut, each seen
    ``wild_repeat`` times an epoch, laid on the backgrounds of the senders not held out; the
    validation garments on the held-out senders' backgrounds for its sample grids
    (:mod:`tryon.data.garment_cuts`)."""
    from torch.utils.data import ConcatDataset

    from tryon.data import train_garments, val_garments
    from tryon.data.garment_cuts import GarmentCuts, WildCuts, background_plates, wild_cutouts
    from tryon.data.split import layout_pairs, test_pairs
    from tryon.training.cutter_task import CutterTask
    from tryon.training.parser_task import ParserHyper

    if wild is None:
        raise TryOnError("The garment cutter needs --wild, the clothing_upper folder whose photos give it backgrounds.")
    if init_from is not None and not (Path(init_from) / "model.safetensors").is_file():
        raise TryOnError(f"No garment cutter weights in '{init_from}' to start from; pass a folder written by --export-to.")
    n_test = C.TEST_PAIRS if len(layout_pairs(layout)) > n_val + 2 * C.TEST_PAIRS else 0  # none in tiny sets
    held_out = {g for _, g in test_pairs(layout, n_val, n_test)}
    garments = [g for g in train_garments(layout, n_val) if g not in held_out][:limit]
    hyper = ParserHyper(**({"decay_steps": steps} if steps else {}), **({"lr": lr} if lr else {}))
    plates = background_plates(wild, cache_dir, held_out=False, limit=limit)
    train_set = GarmentCuts(layout, garments, plates)
    if wild_repeat > 0:
        real = WildCuts(wild_cutouts(wild, cache_dir, held_out=False, limit=limit), plates)
        train_set = ConcatDataset([train_set] + [real] * wild_repeat)
    return CutterTask(train_set,
                      GarmentCuts(layout, val_garments(layout, n_val),
                                  background_plates(wild, cache_dir, held_out=True, limit=limit), seed=0),
                      hyper=hyper, init_from=init_from)


def _tryon(layout, cache_dir, n_val, limit, seed, vaes, codes, prepare_workers, region, init_from, lr, reset_flow):
    from dataclasses import replace

    from tryon.assets import weights_dir
    from tryon.data import TryOnPairs, build_pairs_cache, train_pairs, val_pairs
    from tryon.data.split import layout_pairs, test_pairs
    from tryon.training.tryon_task import TryOnHyper, TryOnTask

    vaes = Path(vaes) if vaes else weights_dir()
    dirs = {"garment_vae_dir": vaes / "garment-vae", "body_vae_dir": vaes / "body-vae"} if codes else {}
    if region == "parse":
        dirs["parser_dir"] = weights_dir() / "parser"
    for d in dirs.values():
        if not (d / "model.safetensors").is_file():
            raise TryOnError(f"No weights in '{d}'; pass --vaes DIR, --no-codes or --region pose.")
    if init_from is not None and not (Path(init_from) / "model.safetensors").is_file():
        raise TryOnError(f"No try-on weights in '{init_from}' to start from; pass a folder written by --export-to.")
    # The untouched test portion's pairs are left out too (tryon.data.split.test_pairs).
    n_test = C.TEST_PAIRS if len(layout_pairs(layout)) > n_val + 2 * C.TEST_PAIRS else 0  # none in tiny sets
    held_out = set(test_pairs(layout, n_val, n_test))
    train = [p for p in train_pairs(layout, n_val) if p not in held_out][:limit]
    folders = [build_pairs_cache(layout, cache_dir, pairs, cache_dir, workers=prepare_workers, **dirs)
               for pairs in (val_pairs(layout, n_val), train)]
    hyper = TryOnHyper() if lr is None else replace(TryOnHyper(), lr_g=lr, lr_d=lr)
    return TryOnTask(TryOnPairs(folders[1], augment=True, seed=seed, region=region),
                     TryOnPairs(folders[0], region=region), hyper=hyper, init_from=init_from,
                     reset_flow=reset_flow)
