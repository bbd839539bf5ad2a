"""TryOnPipeline: a person photo and a garment photo in, the person wearing the garment out.

Stages (each timed in ``TryOnOutput.timings``): load -> pose -> align -> parse (with the body
parser) -> garment -> checks -> warp -> render (learned) or composite (baseline) -> paste_back.

Two renderers share everything up to the landmark TPS warp:

- ``"learned"``: :class:`~tryon.models.tryon_net.TryOnNet` (``assets/weights/tryon``) refines the
  TPS warp with its appearance flow and renders the person (arms, occlusion, shading) in the
  256x192 frame, conditioned on the garment and body VAE codes;
- ``"baseline"``: the TPS-warped garment over the person's shading, up to 3x the frame on big photos.

``"auto"`` (the default) is the learned renderer when its weights are there, else the baseline.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from tryon import assets
from tryon import body as body_lib
from tryon import constants as C
from tryon.anomaly import body_check
from tryon.bare_arms import arms_in_photo_pixels, bared_arms, kept_sleeves, paint_bare_arms
from tryon.composite import composite, shading_map
from tryon.conditioning import GarmentChecker, check_code_dims, frame_arrays, net_tensors
from tryon.errors import TryOnError
from tryon.fullres import BROAD_FLOW_SMOOTH, FLOW_SMOOTH, compose, flow_folds, source_maps
from tryon.garment_cache import GARMENT_CACHE_SIZE, GarmentCache, GarmentInput, load_garment_input
from tryon.hub import load_extra
from tryon.io import downscaled_warnings, load_image
from tryon.masks import extend_past, labelled
from tryon.models.tryon_net import TryOnNet
from tryon.models.vae import VAE
from tryon.old_garment import (OLD_SHARE, missed_old_garment, old_colours, old_garment_ghosts, old_hem,
                                trouser_room)
from tryon.learned_cut import Cutter
from tryon.parse import Parser
from tryon.pose import build_graphs, check_upper_body, detect_pose, pose_maps
from tryon.region import COVERED_SKIN_KEY, covered_skin, crisp_mask, parse_regions
from tryon.sleeve_cover import (arms_in_front, arms_in_photo, arms_in_view, bare_arms_in_photo, covered_clothes,
                                dressed_arms, lays_long_sleeves, lays_sleeves, old_cuffs, shown_garment, warped_sleeves)
from tryon.sleeves import hang_sleeves, load_reader, sleeve_kind, strap_fit
from tryon.steps import step_images
from tryon.tensors import resolve_precision, to_uint8
from tryon.warp import (MEASURED_LENGTHS, LengthScales, WarpedGarment, trained_lengths, warp_garment,
                        worn_lengths)
from tryon.worn import check_garment_type, prepare_any_garment

__all__ = ["TryOnOutput", "TryOnPipeline", "DEFAULT_WEIGHTS_DIR"]

DEFAULT_WEIGHTS_DIR = assets.weights_dir()
MAX_RENDER_SCALE = 3          # the baseline renders at up to 3x the model frame on big photos
FEATHER_FRACTION = 0.006      # seam feather radius, as a fraction of the frame height
EDGE_REACH = 2.0              # frame px past a cropped photo's edge that take the render's values from inside it
GARMENT_EDGE_FRACTION = 0.005 # garment edge pixels mixed with its old background are dropped
MIN_COVER = 1e-3              # the garment's composition mask is divided by at least this coverage
FULLRES_SHADING = 0.7         # how strongly the person's light and folds light the full-resolution
FULLRES_SHADING_DETAIL = 0.03 # garment, blurred this much first (fraction of the frame height): at
                              # the baseline's 0.012 an old print came through as blotches (by eye,
                              # validation grid), at 0.03 it does not; without shading, region SSIM
                              # fell from 0.691 to 0.689. Validation region SSIM 0.6952 / 0.6973 /
                              # 0.6990 / 0.7012 at 0.3 / 0.5 / 0.7 / 1.0 (it was 0.5 while skin beside
                              # the garment lit glows on it); but paired pairs reward carrying the old
                              # top's own light and dark over (it is the new one there), and at 1.0 the
                              # astronaut's suit left a dark band on a blue T-shirt: 0.7, by eye
MAX_FLOW_FOLDS = 0.33         # where the network's broad flow folds or squeezes more of the shown garment than
                              # this (tryon.fullres.flow_folds), it is dropped: the spline's garment as given
                              # (striped tops swirled into rings: 5 of the 500 validation pairs, at 0.35-0.47;
                              # all others at most 0.10; of the first 120 training pairs, one at 0.29, fine).
                              # Not on a photo cut across the body: there the flow stretches the garment on
                              # past the edge, as trained (Grace Hopper's portrait: 0.36-0.48, the flow's better)
WORKERS = 4                   # threads that prepare garments beside the person's pose and parse
                              # (a request uses one; a server's several requests share them)
WORKER_TORCH_THREADS = 1      # torch threads of each
NOT_A_GARMENT_WARNING = (
    "The garment image does not look like a photo of a garment, so the result may look wrong; "
    "a garment laid flat on a plain background works best."
)
UNUSUAL_PHOTO_WARNING = (
    "Your photo looks unusual for a try-on (cropped body, several people or an unusual pose), "
    "so the result may look wrong; a photo of just you, facing the camera, works best."
)


@dataclass
class TryOnOutput:
    """The result of one try-on.

    Attributes:
        image: the person wearing the garment, at the person photo's own size
            (``PIL.Image`` RGB, or ``(H, W, 3)`` uint8 array with ``output_type="np"``).
        steps: intermediate images by name: ``pose`` (landmarks and person mask on the photo),
            ``parse`` (the body parse over the person in the model frame, with the parser),
            ``agnostic`` (the person with the repaint region greyed, in the model frame),
            ``garment`` (the prepared garment), ``warped`` (the garment fitted to the body).
        warnings: sentences for the user about things that may spoil the result.
        timings: seconds spent in each stage, and ``total``.
    """

    image: Any
    steps: dict[str, Image.Image] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _without_sleeves(prepared) -> bool:
    """Whether a prepared garment has no sleeves: none on its mask, none hanging beside its body
    (:func:`tryon.sleeves.hang_sleeves` would have cut them out), and not read long."""
    kp = prepared.keypoints
    return kp.get("sleeve_l") is None and kp.get("sleeve_r") is None and prepared.sleeves != "long"


def _covered_skin(body) -> np.ndarray | None:
    """``(H, W)`` bool, the photo's skin the new garment covers, whose tone says nothing of the
    garment's light: bare arms its sleeves dress, and the neck and chest skin it covers (an old
    V-neck's skin, lighter than the old top, lit a V-shaped glow on the new garment and darkened
    the chest around it); None where there is none."""
    masks = [m for m in (None if body.dressed is None else body.dressed > 0, body.hidden_skin) if m is not None]
    return np.logical_or.reduce(masks) if masks else None


class TryOnPipeline:
    """Virtual try-on: ``pipe(person=..., garment=...)``.

    Args:
        frame_size: ``(H, W)`` model frame (256x192 by default).
        mode: ``"auto"`` (the learned model when weights are loaded, else the baseline),
            ``"learned"`` (the try-on network; an error without it) or ``"baseline"`` (landmark
            TPS + shading-preserving composite).
        net: the learned :class:`~tryon.models.tryon_net.TryOnNet` (None: baseline only).
        garment_checker: a :class:`~tryon.conditioning.GarmentChecker` (the garment VAE and its
            threshold): warns on garment photos that are not garments, and gives the net its garment code.
        body_vae: the body-shape VAE: warns on unusual photos, and gives the net its body code.
        precision: the network's arithmetic: ``"float32"``, ``"bfloat16"`` (autocast), or
            ``"auto"``: bfloat16 where the CPU has bfloat16 instructions (AVX512-BF16 or AMX),
            else float32. ``tryon eval`` measures the quality of either.
        parser: the body :class:`~tryon.parse.Parser` (None: no parse step).
        region: what decides the repaint region and the skin the learned renderer may keep in
            it: ``"parse"`` (the old garment wholly, arms and neck by the parser, plus the room the
            new garment needs; hair, face, hands, lower-body clothes and background stay; an old
            garment is never shown, whatever its colour), ``"pose"`` (pose landmarks and the
            face-colour skin model), or ``"auto"``: the parser when there is one.
        garment_type: what garment photos show by default (each call may say otherwise):
            ``"flat"`` (the garment alone), ``"worn"`` (a person wearing it, cut out with the
            parser) or ``"auto"``: worn when the parser finds a person wearing it.
        full_resolution: the learned renderer's garment pixels come from the garment photo at
            the person photo's own resolution (:mod:`tryon.fullres`); False pastes the 256x192
            render back as it is.
        garment_cache: how many prepared and checked garments to remember, by their pixels
            (:mod:`tryon.garment_cache`; 0: none). A catalogue garment tried on again skips its
            preparation and its check.
        garment_warp: where the full-resolution composition reads the garment photo: ``"broad"``
            (default: the network's broad fit, prints keep their shape), ``"flow"`` (its refined
            warp with every bend) or ``"spline"`` (the spline alone; its mask decides where it shows).
        warp_lengths: the :class:`~tryon.warp.LengthScales` the network was trained with (its
            spline's hem and sleeve lengths; ``from_pretrained`` reads them from its weights).
            The baseline always uses the measured ones, :data:`~tryon.warp.MEASURED_LENGTHS`.
        sleeve_reader: the :class:`~tryon.models.sleeve_reader.SleeveReader` that tells the sleeves
            of a garment whose photo shows none (:func:`tryon.sleeves.sleeve_kind`; None: untold).
        hide_covered_skin: grey the neck and chest skin the new garment covers in the network's
            input (:func:`tryon.region.covered_skin`), for networks trained so (``from_pretrained``
            reads it from their weights): the new garment's neckline, not the old one's.
        garment_cutter: the :class:`~tryon.learned_cut.Cutter` that cuts garments out of photos on a
            busy background (a bed, a floor, a hanger); None: GrabCut does.
    """

    def __init__(
        self,
        *,
        frame_size: tuple[int, int] = C.FRAME_SIZE,
        mode: str = "auto",
        garment_checker=None,
        body_vae=None,
        body_threshold: float = float("inf"),
        net=None,
        precision: str = "auto",
        parser: Parser | None = None,
        region: str = "auto",
        garment_type: str = "auto",
        full_resolution: bool = True,
        garment_cache: int = GARMENT_CACHE_SIZE,
        garment_warp: str = C.DEFAULT_GARMENT_WARP,
        warp_lengths: LengthScales = MEASURED_LENGTHS,
        sleeve_reader=None,
        hide_covered_skin: bool = False,
        garment_cutter=None,
    ) -> None:
        if mode not in C.RENDER_MODES:
            raise ValueError(f"mode must be one of {C.RENDER_MODES}, not {mode!r}")
        if precision not in C.NET_PRECISIONS:
            raise ValueError(f"precision must be one of {C.NET_PRECISIONS}, not {precision!r}")
        if region not in C.REGION_SOURCES:
            raise ValueError(f"region must be one of {C.REGION_SOURCES}, not {region!r}")
        if garment_warp not in C.GARMENT_WARPS:
            raise ValueError(f"garment_warp must be one of {C.GARMENT_WARPS}, not {garment_warp!r}")
        if region == "parse" and parser is None:
            raise TryOnError("region='parse' needs the body parser; load its weights or use 'pose'.")
        self.precision = resolve_precision(precision)
        self.parser = parser
        self.region = "pose" if region == "pose" or parser is None else "parse"
        self.garment_type = check_garment_type(garment_type, parser)
        self.full_resolution = full_resolution
        self.warp_lengths = LengthScales(*warp_lengths)
        self.garment_warp = garment_warp
        self.sleeve_reader = sleeve_reader
        self.garment_cutter = garment_cutter
        self.hide_covered_skin = hide_covered_skin
        self.garments = GarmentCache(garment_cache)  # prepared and checked garments, by their pixels
        # Threads start on first use, each from a caller's thread (so a server's lowered priority holds).
        self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="tryon-garment")
        self.frame_size = tuple(frame_size)
        self.mode = mode
        self.garment_checker = garment_checker  # GarmentChecker: warns on non-garments
        self.body_vae = body_vae                # body-shape VAE: warns on unusual photos
        self.body_threshold = body_threshold
        self.net = net.eval() if net is not None else None
        check_code_dims(net, garment_checker.vae if garment_checker is not None else None, body_vae)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, *, mode: str = "auto",
                        precision: str = "auto", region: str = "auto",
                        garment_type: str = "auto", full_resolution: bool = True,
                        garment_warp: str = C.DEFAULT_GARMENT_WARP) -> "TryOnPipeline":
        """Load the bundled defaults (:func:`tryon.assets.weights_dir`) or those in ``path``.

        The garment VAE (``garment-vae/``) and body-shape VAE (``body-vae/``) there, when
        present (else the bundled ones), add warnings for garment photos that are not garments
        and for unusual person photos, and give the network its codes. The try-on network
        (``tryon/``) is the learned renderer; without it, the pipeline runs the baseline renderer.
        The body parser (``parser/``) adds the parse step, decides the repaint region (with
        ``region``) and cuts garments out of photos of people wearing them; the sleeve reader
        (``sleeve-reader/``) tells the sleeves of garments whose photo hides them. ``precision``,
        ``region``, ``garment_type``, ``full_resolution`` and ``garment_warp`` are as in
        :class:`TryOnPipeline`.
        """
        weights = Path(path) if path is not None else DEFAULT_WEIGHTS_DIR
        if path is not None and not weights.is_dir():
            raise TryOnError(f"There is no weights folder at '{weights}'; pass a folder that holds "
                             "tryon/, garment-vae/ or body-vae/, or leave it out for the bundled weights.")
        def find(name: str) -> Path | None:  # a VAE missing from ``path`` comes from the bundle
            for folder in (weights, DEFAULT_WEIGHTS_DIR):
                if (folder / name / "model.safetensors").is_file():
                    return folder / name
            return None

        checker = body = None
        threshold = float("inf")
        if (garment_dir := find("garment-vae")) is not None:
            checker = GarmentChecker.from_pretrained(garment_dir)
        if (body_dir := find("body-vae")) is not None:
            body = VAE.from_pretrained(body_dir)
            threshold = float(load_extra(body_dir).get("anomaly_threshold", "inf"))
        net, lengths, hide = None, MEASURED_LENGTHS, False
        if (weights / "tryon" / "model.safetensors").is_file():
            net = TryOnNet.from_pretrained(weights / "tryon")
            extra = load_extra(weights / "tryon")
            lengths, hide = trained_lengths(extra), bool(extra.get(COVERED_SKIN_KEY, False))
        elif mode == "learned":
            raise TryOnError(f"No try-on network weights in '{weights / 'tryon'}'; train them with "
                             "`tryon train tryon` or use mode 'baseline'.")
        parser = Parser.from_pretrained(p) if (p := find("parser")) is not None else None
        reader = load_reader(p) if (p := find("sleeve-reader")) is not None else None
        cutter = Cutter.from_pretrained(p) if (p := find("garment-cutter")) is not None else None
        return cls(mode=mode, garment_checker=checker, body_vae=body, body_threshold=threshold, net=net,
                   precision=precision, parser=parser, region=region, garment_type=garment_type,
                   full_resolution=full_resolution, garment_warp=garment_warp, warp_lengths=lengths,
                   sleeve_reader=reader, hide_covered_skin=hide, garment_cutter=cutter)

    @contextmanager
    def _stage(self, timings: dict[str, float], name: str):
        t0 = time.perf_counter()
        yield
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0

    def _render_frame(self, pose_scale: float) -> tuple[int, int]:
        """The baseline renders at the multiple of the frame nearest the photo's own scale, so
        big photos stay sharp (``pose_scale``: frame pixels per photo pixel at 1x)."""
        s = int(min(MAX_RENDER_SCALE, max(1, round(1.0 / max(pose_scale, 1e-6)))))
        return (self.frame_size[0] * s, self.frame_size[1] * s)

    def __call__(self, person: Any, garment: Any, *, garment_mask: Any = None, seed: int | None = None,
                 output_type: str = "pil", return_dict: bool = True, mode: str | None = None,
                 garment_type: str | None = None, with_steps: bool = True) -> TryOnOutput | tuple:
        """Dress ``person`` in ``garment``.

        Args:
            person: photo of a person: path, bytes, ``PIL.Image`` or ``(H, W, 3)`` uint8 array.
            garment: photo of a garment, same kinds; RGBA transparency is used as its mask.
            garment_mask: optional garment mask (same size as the garment; white = garment).
            seed: seed for stochastic renderers (the baseline is deterministic).
            output_type: ``"pil"`` or ``"np"``.
            return_dict: return a :class:`TryOnOutput` (else ``(image, steps, warnings)``).
            mode: override the pipeline's mode for this call.
            garment_type: override the pipeline's garment type for this call (``"auto"``,
                ``"flat"`` or ``"worn"``; see :class:`TryOnPipeline`).
            with_steps: also make the step images (about 20 ms); else ``steps`` is empty.

        Raises:
            tryon.TryOnError: bad input, with one sentence for the user.
        """
        learned = self._use_net(mode, output_type)
        garment_type = check_garment_type(garment_type or self.garment_type, self.parser)
        build_graphs()  # on this thread, before the garment's worker runs OpenCV beside it
        timings: dict[str, float] = {}
        t_start = time.perf_counter()

        # 1. Load and validate both images.
        with self._stage(timings, "load"):
            person_img = load_image(person, what="person photo")
            upload = load_garment_input(garment, garment_mask)
        warnings = downscaled_warnings(person_img)
        photo = np.asarray(person_img)

        # The garment does not depend on the person: in the model frame (the learned mode) it is
        # prepared and checked on a worker thread while the pose and the parse run (step 4).
        garment_job = self._beside(self._garment, upload, self.frame_size, garment_type) if learned else None

        # 2. Pose: 33 landmarks and the person mask; refuse photos that cannot work.
        with self._stage(timings, "pose"):
            pose = detect_pose(photo)
            check_upper_body(pose)
        warnings += pose.warnings

        # 3. Align the person into the frame and find the region to repaint.
        with self._stage(timings, "align"):
            base = body_lib.align(pose, self.frame_size)
            frame_size = self.frame_size if learned else self._render_frame(base.scale)
            body = body_lib.prepare_person(photo, pose, frame_size)

        # 3b. Body parse in the frame: a step image, the region and the skin the renderer may keep.
        labels = self._parse(body, timings) if self.parser is not None else None

        # 4. Garment (alone, or cut out of a photo of someone wearing it) and its keypoints;
        # 5. conditioning: one pass of each VAE gives its warning and its code for the network.
        # A garment seen lately comes from the cache, prepared and checked.
        if garment_job is None:
            prepared, found, codes = self._garment(upload, frame_size, garment_type, timings)
        else:
            prepared, found, codes = self._joined(garment_job, timings)
        warnings += prepared.warnings + found
        with self._stage(timings, "checks"):
            found, codes["body"] = self._body_check(pose)
        warnings += found

        # 6. Warp: landmark TPS from garment keypoints to the body (+ the parse's region).
        lengths = self.warp_lengths if learned else MEASURED_LENGTHS
        warped = self._warp(body, prepared, labels, timings,
                            worn_lengths(lengths) if prepared.method == "worn" else lengths,
                            dress_arms=learned and self.warp_lengths == MEASURED_LENGTHS)

        # 7. Render in the frame: the network, or the garment over the person's shading (baseline).
        full = self.full_resolution and prepared.source is not None  # (step 8 composes the garment's own pixels)
        rendered, alpha, warped = self._render_in_frame(learned, body, warped, codes, timings, arms_in_frame=not full)

        # 8. Paste back into the photo at its own resolution, the garment from its own photo.
        with self._stage(timings, "paste_back"):
            result, full = self._paste_back(photo, body, rendered, alpha, prepared, warped)
        timings["total"] = time.perf_counter() - t_start

        steps = (step_images(person_img, pose, body, prepared, warped if full is None else full, labels)
                 if with_steps else {})
        image: Any = Image.fromarray(result) if output_type == "pil" else result
        if not return_dict:
            return image, steps, warnings
        return TryOnOutput(image=image, steps=steps, warnings=warnings, timings=timings)

    def _parse(self, body, timings: dict[str, float]) -> np.ndarray:
        """``(H, W)`` uint8 LIP ids of the person in the frame; background where MediaPipe sees
        no person or the frame is off the photo."""
        with self._stage(timings, "parse"):
            return self._frame_labels(body, timings)

    def _warp(self, body, prepared, labels: np.ndarray | None, timings: dict[str, float],
              lengths: LengthScales, dress_arms: bool) -> WarpedGarment:
        """The garment warped onto the body. With the parse (``region="parse"``), also the repaint
        region, what the network sees of it (:func:`~tryon.region.parsed_region`) and the old
        garment; with ``dress_arms`` (networks trained with the measured lengths), bare arms a
        longer new sleeve covers, hidden from it and dressed in it (:mod:`tryon.sleeve_cover`)."""
        parsed = labels is not None and self.region == "parse"
        arm_landmarks = arms_in_photo(body.landmarks, body.valid)  # for the arms' own rules: arms off the photo gone
        # ...but for the sleeves that dress bare arms, an upper arm seen bare down to the photo's edge stays
        bare_landmarks = arm_landmarks if labels is None else bare_arms_in_photo(body.landmarks, body.valid, labels)
        warp_landmarks = body.landmarks.copy()
        warp_landmarks[:, 2] = np.maximum(warp_landmarks[:, 2], bare_landmarks[:, 2])  # (elbows, wrists off it: raised)
        with self._stage(timings, "warp"):  # sleeves on bare arms: laid along them (tryon.sleeve_cover)
            laid = dress_arms and parsed and lays_sleeves(prepared.keypoints, prepared.sleeves, labels, bare_landmarks)
            long = dress_arms and parsed and lays_long_sleeves(prepared.sleeves, labels, bare_landmarks)
            hem = old_hem(labels, body.landmarks) if dress_arms and parsed else None  # the new hem reaches the old
            cuffs = old_cuffs(labels, bare_landmarks) if dress_arms and parsed else None  # ...and its sleeves nearly
            warped = warp_garment(prepared.rgb, prepared.mask, prepared.keypoints, warp_landmarks, prepared.analysis,
                                  lengths, lay_sleeves=laid, to_wrists=long, hem_row=hem,
                                  arms=labelled(labels, C.LIP_ARMS) if laid or long else None, cuffs=cuffs)
        if parsed:
            with self._stage(timings, "region"):
                sleeves = warped_sleeves(prepared.mask, prepared.analysis, warped.grid, warped.alpha) if dress_arms else None
                whole = long or (prepared.analysis is not None and prepared.analysis.hanging)  # laid down the arms
                body.dressed = None if sleeves is None else dressed_arms(labels, bare_landmarks, sleeves, warped.alpha,
                                                                         laid=laid, whole=whole)
                body.region, body.revealed = parse_regions(labels, body.image, body.person_mask, body.landmarks, body.region,
                                                           warped.alpha, body.valid, None if sleeves is None else body.dressed > 0)
                if self.hide_covered_skin:  # the new garment's own neckline, not the old one's
                    body.hidden_skin = body.revealed & covered_skin(labels, body.person_mask, warped.alpha)
                    body.revealed = body.revealed & ~body.hidden_skin
                # The old garment the parser missed (a collar, a strap, a cuff) is repainted too.
                body.old_colours = old_colours(labels, body.image, body.person_mask, body.landmarks)
                # (each pixel's share of the old garment's colours, read once for the missed old
                # garment, the bared and the kept arms)
                old_share = None if body.old_colours is None else body.old_colours.share(body.image)
                old_like = None if old_share is None else old_share >= OLD_SHARE
                missed = missed_old_garment(labels, body.image, body.person_mask, body.landmarks,
                                            body.old_colours, old_like) & body.valid
                body.region = body.region | missed
                # Trousers under the new garment's room stay the photo's where it does not show (_render).
                body.room, old_top = trouser_room(labels, body.region, body.image, body.old_colours)
                body.covered = np.maximum(covered_clothes(labels), (missed | old_top).astype(np.float32))
                body.bared = None if sleeves is None else bared_arms(
                    body.image, labels, arm_landmarks, body.person_mask, warped.alpha, sleeves, prepared.sleeves,
                    old_like)
                if body.bared is not None:  # the old sleeve the parser missed goes too (tryon.bare_arms)
                    body.region = body.region | (((body.bared.skin > 0) | body.bared.fill) & body.valid)
                elif dress_arms and _without_sleeves(prepared):  # old sleeves it does not bare: worn over them
                    kept = kept_sleeves(labels, arm_landmarks, body.person_mask) & body.valid
                    body.region, body.revealed = body.region & ~kept, body.revealed & ~kept
                    body.covered = body.covered * ~kept
                    warped.alpha = warped.alpha * ~kept  # (its top corners, fitted to the shoulders, covered them)
                # Bare arms a garment without long sleeves leaves alone: in front of it (or beside it),
                # the photo's own. (Long sleeves cover crossed forearms the spline lays no sleeve on.)
                if prepared.sleeves != "long":
                    painted = None if body.bared is None else (body.bared.skin > 0) | body.bared.fill
                    body.in_front = arms_in_front(labels, body.region, sleeves, body.dressed, painted, old_share)
        return warped

    def _frame_labels(self, body, timings: dict[str, float]) -> np.ndarray:
        """``timings["parser"]`` gets the parser's labelling alone (inside ``parse``); the parser
        runs at its own frame size (the baseline's frame may be larger)."""
        with self._stage(timings, "parser"):
            return self.parser.labels_in(body.image, (body.person_mask >= 0.5) & body.valid)

    def _use_net(self, mode: str | None, output_type: str) -> bool:
        """Check a call's options; True when it renders with the network."""
        if output_type not in ("pil", "np"):
            raise ValueError(f"output_type must be 'pil' or 'np', not {output_type!r}")
        mode = mode or self.mode
        if mode not in C.RENDER_MODES:
            raise ValueError(f"mode must be one of {C.RENDER_MODES}, not {mode!r}")
        if mode == "learned" and self.net is None:
            raise TryOnError("This pipeline has no try-on network weights; load them with "
                             "TryOnPipeline.from_pretrained() or use mode 'baseline'.")
        return self.net is not None and mode != "baseline"

    def _render_in_frame(self, learned: bool, body, warped: WarpedGarment, codes: dict, timings: dict[str, float],
                         arms_in_frame: bool = True) -> tuple[np.ndarray, np.ndarray, WarpedGarment]:
        """The person in the frame ``(H, W, 3)`` uint8, where it replaces the photo (alpha
        ``(H, W)`` in [0, 1]), and the garment as finally warped. ``arms_in_frame``: arms a
        shorter new sleeve bares are painted in the frame (else the paste back draws them at the
        photo's resolution)."""
        h = body.size[0]
        # On a photo cropped across the body (a portrait cut at the chest), the old garment
        # meets the photo's edge: the region goes on past it (as the network was shown it), so
        # neither the seam's fade nor the resampling at the edge lets it show through a band there.
        past = body.shown_region()[1] & ~body.valid
        if learned:
            with self._stage(timings, "render"):
                rendered, warped = self._render(body, warped, codes, timings, cut=bool(past.any()),
                                                arms_in_frame=arms_in_frame)
                alpha = body_lib.feather(body.region, FEATHER_FRACTION * h, beyond=past)
                if not body.valid.all():
                    rendered = extend_past(rendered, body.valid, EDGE_REACH)
                    warped = replace(warped, shows=extend_past(warped.shows, body.valid, EDGE_REACH),
                                     keeps=extend_past(warped.keeps, body.valid, EDGE_REACH))
        else:
            with self._stage(timings, "composite"):
                cover = body_lib.erode(warped.alpha > 0.5, GARMENT_EDGE_FRACTION * h)
                alpha = body_lib.feather(cover & body.region, FEATHER_FRACTION * h, beyond=past)
                shading = shading_map(body.image, alpha)
                rendered = composite(body.image, warped.rgb, alpha, shading)
        return rendered, alpha, warped

    def _paste_back(self, photo, body, rendered, alpha, prepared, warped):
        """The result ``(h, w, 3)`` uint8 and, when the garment was composed at full resolution
        (:mod:`tryon.fullres`, the learned renderer), the full-resolution garment (else None)."""
        if not self.full_resolution or warped.shows is None or prepared.source is None:
            return body_lib.paste_back(photo, rendered, alpha, body.alignment)[0], None
        shading = (shading_map(body.image, warped.shows * warped.alpha * (1.0 - warped.keeps), strength=FULLRES_SHADING,
                               detail=FULLRES_SHADING_DETAIL, neutral=_covered_skin(body))
                   if FULLRES_SHADING else None)
        layers = warped.layers  # laid sleeves: each read through its own grid, blended over the seam
        maps = source_maps([warped.grid] if layers is None else [layers.torso, layers.sleeves],
                           None if self.garment_warp == "spline" else warped.flow, prepared.to_layout,
                           BROAD_FLOW_SMOOTH if self.garment_warp == "broad" else FLOW_SMOOTH)
        return compose(photo, rendered, alpha, body.alignment, frame_map=maps[0],
                       shows=warped.shows, keeps=warped.keeps, source=prepared.source,
                       source_mask=prepared.source_mask, shading=shading,
                       repaint=None if body.old_colours is None else body.old_colours.share,
                       layer=None if layers is None else (maps[1], layers.shows),
                       overlay=None if body.bared is None else partial(arms_in_photo_pixels, body.bared))

    @torch.inference_mode()
    def _render(self, body, warped, codes: dict, timings: dict[str, float], cut: bool = False,
                arms_in_frame: bool = True):
        """The network's person in the frame: ``(H, W, 3)`` uint8, and the refined warp.

        ``codes`` holds the VAE codes the checks already computed (``"garment"``, ``"body"``);
        ``timings["net"]`` gets the warper + generator forward alone (inside ``render``). ``cut``:
        the repaint region goes on past the photo's edge (a portrait cut across the body);
        ``arms_in_frame``: see :meth:`_render_in_frame`."""
        arrays = frame_arrays(body, warped)
        x = {k: v[None] for k, v in net_tensors(arrays["person"], arrays["region"], arrays["valid"],
                                                arrays["garment"], arrays["revealed"]).items()}
        x["pose"] = pose_maps(torch.from_numpy(arrays["landmarks"])[None], self.frame_size)
        if self.net.config.code_dim:  # garment code then body code, as vae_codes() made them for training
            x["codes"] = torch.cat([codes[k].float() for k in ("garment", "body") if codes.get(k) is not None])[None]
        with self._stage(timings, "net"), torch.autocast(
                "cpu", dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
            out = self.net(**x)
            if not cut and flow_folds(out.flow[0].float().numpy(), (out.mask[0, 0] > 0.5).numpy()) > MAX_FLOW_FOLDS:
                out = self.net(**x, flow_scale=0.0)  # a swirled garment: the spline's, unrefined
        refined = out.warped[0].float()
        alpha = refined[3].clamp(0, 1).numpy()
        shows = (out.mask[0, 0].float() / refined[3].clamp(min=MIN_COVER)).clamp(0, 1).numpy()
        image, keeps, garment = to_uint8(out.image[0]), out.keep[0, 0].float().numpy(), to_uint8(refined[:3])
        if body.covered is not None:  # over the old garment, and bare arms its sleeves dress (tryon.sleeve_cover)
            shows = shown_garment(shows, alpha, body.covered, body.dressed,
                                  armless=not arms_in_view(body.landmarks, body.valid))
            # (and wherever its render drew the old garment, the new one)
            shows = np.maximum(shows, old_garment_ghosts(image, garment, alpha, body.covered, body.old_colours))
        if body.hidden_skin is not None:  # the garment or the skin over the covered neck, not a ghost of both
            shows = crisp_mask(shows, body.hidden_skin)
        if body.room is not None:  # trousers the region took as the garment's room: the photo's where it is not
            shows = crisp_mask(shows, body.room > 0)  # (the garment over them or not, no blur of both)
            keeps = np.maximum(keeps, body.room * (1.0 - shows * alpha))
        if body.hidden_skin is not None:  # skin it was not shown: the photo's own where no garment shows
            keeps = np.maximum(keeps, body.hidden_skin * (1.0 - shows * alpha))
        if body.in_front is not None:  # bare arms no new sleeve covers: the photo's own, no garment over them
            keeps, shows = np.maximum(keeps, body.in_front), shows * ~body.in_front
        if body.bared is not None:  # skin where a shorter new sleeve bares the arm (tryon.bare_arms)
            image, shows, keeps = paint_bare_arms(image, body.bared, shows, keeps, body.image, paint=arms_in_frame)
        return image, WarpedGarment(garment, alpha, warped.src, warped.dst, warped.grid,
                                    out.flow[0].float().numpy(), shows, keeps, warped.layers)

    def _beside(self, fn, *args):
        """``fn(*args, timings)`` started on a worker thread: a future of ``(its result, timings)``.
        Its error, if any, is raised by :meth:`_joined`, where the caller waits for it (so a
        photo with no person is refused before its garment's error, as before)."""
        def job():
            # One torch thread here (this thread's own setting): the caller's forwards keep both
            # cores. With two, the network on the caller's thread ran 60% slower for the rest of
            # the process (`tryon bench` net p50 17.6 -> 28.8 ms; a second OpenMP team on 2 cores).
            torch.set_num_threads(WORKER_TORCH_THREADS)
            timings: dict[str, float] = {}
            return fn(*args, timings), timings

        return self._workers.submit(job)

    @staticmethod
    def _joined(job, timings: dict[str, float]):
        """The result of a :meth:`_beside` job, its stage timings added to ``timings``."""
        result, spent = job.result()
        for name, seconds in spent.items():
            timings[name] = timings.get(name, 0.0) + seconds
        return result

    def _garment(self, upload: GarmentInput, frame_size: tuple[int, int], garment_type: str,
                 timings: dict[str, float]) -> tuple[Any, list[str], dict]:
        """The prepared garment, the garment check's warnings and ``{"garment": code}`` (empty
        without a garment VAE); from :attr:`garments` when this garment was prepared lately."""
        with self._stage(timings, "garment"):
            key = upload.key(frame_size, garment_type)
            cached = self.garments.get(key)
            if cached is not None:
                return cached[0], list(cached[1]), dict(cached[2])
            prepared = prepare_any_garment(upload.image, upload.mask, frame_size, garment_type, self.parser,
                                           self.garment_cutter)
            if prepared.sleeves is None:  # (a worn garment's are read off its wearer's arms)
                prepared.sleeves = sleeve_kind(prepared, self.sleeve_reader)
            hang_sleeves(prepared)  # long sleeves hanging beside the body: cut out, laid along the arms
            strap_fit(prepared)     # no sleeves: the shoulders on the straps, not on the armholes
        with self._stage(timings, "checks"):
            found, codes = self._garment_check(prepared)
        self.garments.put(key, (prepared, tuple(found), dict(codes)))
        return prepared, found, codes

    def _garment_check(self, prepared) -> tuple[list[str], dict]:
        """The garment VAE's warning, and the mean code it computed on the way (``{"garment":
        (latent_dim,) tensor}``, the try-on network's conditioning; empty without the VAE)."""
        if self.garment_checker is None:
            return [], {}
        verdict = self.garment_checker.check(prepared)
        found = [NOT_A_GARMENT_WARNING] if not verdict.is_garment and prepared.method != "worn" else []
        return found, {"garment": verdict.code}  # a worn photo the parser cut out is a garment

    def _body_check(self, pose) -> tuple[list[str], Any]:
        """The body VAE's warning and the person's body code (None without the VAE)."""
        if self.body_vae is None:
            return [], None
        score, code = body_check(self.body_vae, pose)
        return ([UNUSUAL_PHOTO_WARNING] if score > self.body_threshold else []), code
