"""Evaluation of the try-on itself on VITON pairs: paired fidelity and unpaired colour transfer.

The pipeline sees only the raw photos (the person photo and the in-shop garment photo): no
garment mask, parse map or pose is passed to it. The data set's ground truth is used ONLY to
measure the result:

- **Paired** (a person with the garment they wear): the result should reproduce the person
  photo. SSIM (Gaussian window 11), PSNR and L1 on the whole image, and SSIM and L1 inside the
  try-on region (the ground-truth parse labels upper clothes, dress, coat and both arms), all
  at :data:`EVAL_SIZE` (256x192) with images in ``[0, 1]``.
- **Unpaired** (a person with another pair's garment): the torso of the result should take the
  target garment's colours. Colours are medians in CIE Lab: the target's and the original
  garment's on their garment photos inside the cloth masks, the result's inside the person's
  ground-truth upper-clothes region (eroded, so edges do not count). A pair counts as a success
  when the result is closer to the target's colour than to the original's; ``transfer`` is the
  success rate. ``untouched_transfer`` applies the same test to the unchanged person photo: the
  floor a renderer that does nothing would reach (near 0 when the measure works).

The paired figures alone reward doing nothing (the person photo IS the ground truth), so results
identical to the photo are counted (``unchanged``) and the unpaired figure is reported beside them.

Modules: :mod:`~tryon.eval_tryon.pairs` (which pairs), :mod:`~tryon.eval_tryon.paired`,
:mod:`~tryon.eval_tryon.unpaired`, :mod:`~tryon.eval_tryon.report` (grid, JSON dict, summary lines),
:mod:`~tryon.eval_tryon.run` (:func:`eval_tryon`, all of them in order) and
:mod:`~tryon.eval_tryon.frame` (what they share).
"""

from tryon.eval_tryon.frame import EVAL_SIZE
from tryon.eval_tryon.pairs import read_eval_pairs, select_pairs, validation_pairs
from tryon.eval_tryon.paired import TRYON_REGION_LABELS
from tryon.eval_tryon.report import refused_lines, summary_lines
from tryon.eval_tryon.run import eval_tryon
from tryon.eval_tryon.unpaired import (MIN_COLOUR_DELTA_E, TORSO_LABELS, colour_transfer, lab_colour,
                                       plan_unpaired)

__all__ = [
    "eval_tryon",
    "read_eval_pairs",
    "validation_pairs",
    "select_pairs",
    "summary_lines",
    "refused_lines",
    "lab_colour",
    "colour_transfer",
    "plan_unpaired",
    "EVAL_SIZE",
    "TRYON_REGION_LABELS",
    "TORSO_LABELS",
    "MIN_COLOUR_DELTA_E",
]
