"""Full-resolution composition: the garment's own pixels in the photo's own pixels.

The network works in the 256x192 frame: it refines the landmark spline's warp with a learned
flow and decides per pixel where the warped garment shows. Pasting its render back blows the
garment up 3-5x on a large photo, so prints and stripes blur. Here the two warps are chained
into one map from frame pixels to the garment photo (:func:`source_map`: frame pixel -> learned
flow -> spline -> garment layout -> garment photo); the map is smooth, so it is resampled
bilinearly onto the photo's pixels (nearest where it still tears), and the garment photo is
read there (:func:`compose`), after an area filter when it is larger than the output. Sleeves
laid along the arms have a map of their own (:func:`source_maps`), read where they show and
blended with the torso's over a seam a few photo pixels wide. Skin, arms and the rest of the region
stay the network's upsampled render; the person's shading from the frame (upsampled) lights
the garment. Where the network kept the photo's own pixels (revealed skin, background), they
come back from the photo itself. Only pixels where the pasted region's alpha is above 0 change.

Coordinates: pixel centres at integers; frame flows in normalised units with
``align_corners=False`` (:func:`tryon.models.warper.warp`), spline grids with
``align_corners=True`` (:func:`tryon.warp.tps_grid`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from PIL import Image

from tryon.alignment import Alignment
from tryon.smooth import wide_gaussian

__all__ = ["source_map", "source_maps", "compose", "flow_folds", "FullResGarment", "OUTSIDE", "FLOW_SMOOTH",
           "BROAD_FLOW_SMOOTH"]

OUTSIDE = -1e4           # a map value that reads nothing (far outside the garment photo)
MIN_COVER = 1e-3         # premultiplied colour is divided by at least this coverage
MAX_DOWNSCALE = 8.0      # an area filter shrinks the garment photo by at most this much at once
STEP_SAMPLE = 8          # the map's scale is estimated on every 8th pixel
SEAM_SMOOTH = 1.5        # photo px: the seam's repaint measure is blurred this much, then ramps the
SEAM_FROM = 0.5          # seam's alpha up from this measure (the old garment's share of its colour)...
SEAM_FULL = 0.8          # ...to wholly repainted at this one
SEAM_EDGE_SIGMA = 1.0    # frame px: the region's extent (alpha > 0) is smoothed this much, and the seam's
SEAM_EDGE_FROM = 0.16    # raise held to 0 where that is below this, wholly allowed from this plus
SEAM_EDGE_RAMP = 0.3     # ...this (half at 0.31, the extent's edge on the photo: the staircase's middle)
ENLARGED = 1.5           # photo pixels per frame pixel from which the frame's masks are enlarged...
MASK_SIGMA = 0.6         # ...so where the garment shows and where the photo is kept are smoothed over this
                         # many frame pixels (Gaussian sigma) first: a binary edge in them, enlarged 4x,
                         # showed the frame's pixel steps as saw teeth along a sleeve at 768x1024
FLOW_SMOOTH = 2.0        # frame px: Gaussian sigma over the learned flow before full-resolution use;
                         # its pixel-scale wobble is invisible at 256x192 but bends stripes at 1024 px
TEAR = 4.0               # the map tears where it steps this many times its median step between two
                         # neighbouring frame pixels (a sleeve's edge, when a fit comes as one map):
                         # resampled nearest there, as a blend of the two places read a light line
READ_ROW = 1024          # pixels read by a list are laid out in rows this long
LAYER_SEAM = 2.0         # photo px: a laid sleeve's seam with the torso is blended over this width
FOLD_AREA = 0.25         # a flow squeezing a garment's pixel to this share of its area, or folding it, is
                         # what :func:`flow_folds` counts
HOLE_SHOWN = 0.5          # a garment pixel the render shows over this much but its photo covers under...
HOLE_COVER = 0.5          # ...this much is a hole in it (_fill_holes), filled with the garment around it...
HOLE_SIGMA = 4.0          # ...over this many frame px (Gaussian sigma), where at least...
HOLE_AROUND = 0.4         # ...this share of that neighbourhood is garment; and its rim, this many photo px
HOLE_RIM_PX = 2
HOLE_SHRINK = 4.0         # the fill's blur is taken on a grid shrunk to this many px of its sigma per px
BROAD_FLOW_SMOOTH = 16.0  # frame px: the sigma that keeps only the flow's broad fit (garment_warp
                          # "broad"): its finer bends squeeze and twist prints on shoppers' photos


Box = tuple[int, int, int, int]  # (x0, y0, x1, y1) photo px
Overlay = Callable[[Alignment, Box], "list[tuple[Box, np.ndarray, np.ndarray]]"]  # compose(overlay=)


@dataclass
class FullResGarment:
    """The garment as composed into the photo, kept to the box it covers.

    Attributes:
        colour: ``(y1 - y0, x1 - x0, 3)`` float32 in ``[0, 255]``, the warped garment read from its
            own photo at the photo's resolution (undefined where it does not cover).
        alpha: ``(y1 - y0, x1 - x0)`` float32 in ``[0, 1]``, where it covers.
        box: ``(x0, y0, x1, y1)`` in the photo.
        size: ``(h, w)`` of the photo.
    """

    colour: np.ndarray
    alpha: np.ndarray
    box: tuple[int, int, int, int]
    size: tuple[int, int]

    @property
    def rgb(self) -> np.ndarray:
        """``(y1 - y0, x1 - x0, 3)`` uint8: the garment on white (made when asked: only the step
        images show it)."""
        return (255.0 + (self.colour - 255.0) * self.alpha[..., None] + 0.5).clip(0, 255).astype(np.uint8)

    def preview(self, max_side: int) -> Image.Image:
        """The garment on white at the photo's framing, at most ``max_side`` px on a side."""
        h, w = self.size
        scale = min(1.0, max_side / max(h, w))
        out = Image.new("RGB", (max(1, round(w * scale)), max(1, round(h * scale))), "white")
        x0, y0, x1, y1 = self.box
        if x1 > x0 and y1 > y0:
            size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
            out.paste(Image.fromarray(self.rgb).resize(size, Image.Resampling.BOX),
                      (round(x0 * scale), round(y0 * scale)))
        return out


def source_map(tps_grid: np.ndarray, flow: np.ndarray | None, to_layout: np.ndarray,
               smooth: float = FLOW_SMOOTH) -> np.ndarray:
    """For each frame pixel, the garment-photo pixel its garment colour comes from.

    Args:
        tps_grid: ``(H, W, 2)`` float32, the spline's grid into the prepared garment layout
            (``[-1, 1]``, ``align_corners=True``); the layout has the frame's size.
        flow: ``(2, H, W)`` float32, the learned residual flow (normalised units,
            ``align_corners=False``), or None (the spline alone).
        to_layout: ``(2, 3)`` affine from garment-photo pixels to layout pixels.
        smooth: the Gaussian sigma (frame pixels) over the flow first: :data:`FLOW_SMOOTH`, or
            :data:`BROAD_FLOW_SMOOTH` for its broad fit alone.

    Returns:
        ``(H, W, 2)`` float32 garment-photo pixel ``(x, y)``.
    """
    return source_maps([tps_grid], flow, to_layout, smooth)[0]


def source_maps(tps_grids: list[np.ndarray], flow: np.ndarray | None, to_layout: np.ndarray,
                smooth: float = FLOW_SMOOTH) -> list[np.ndarray]:
    """:func:`source_map` of several grids through one flow (smoothed once): a fit's torso and
    its laid sleeves (:class:`tryon.warp.SleeveLayers`)."""
    h, w = tps_grids[0].shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    if flow is not None:
        blurred = [wide_gaussian(np.ascontiguousarray(f, np.float32), smooth) for f in flow]
        xs = xs + blurred[0] * (w / 2.0)
        ys = ys + blurred[1] * (h / 2.0)
    inv = cv2.invertAffineTransform(to_layout.astype(np.float64))
    maps = []
    for tps_grid in tps_grids:
        layout = cv2.remap(tps_grid, xs, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=(OUTSIDE, OUTSIDE))
        lx = (layout[..., 0] + 1.0) * 0.5 * (w - 1)
        ly = (layout[..., 1] + 1.0) * 0.5 * (h - 1)
        sx = inv[0, 0] * lx + inv[0, 1] * ly + inv[0, 2]
        sy = inv[1, 0] * lx + inv[1, 1] * ly + inv[1, 2]
        far = layout[..., 0] <= OUTSIDE / 2
        sx[far], sy[far] = OUTSIDE, OUTSIDE
        maps.append(np.stack([sx, sy], -1).astype(np.float32))
    return maps


def flow_folds(flow: np.ndarray, cover: np.ndarray, smooth: float = BROAD_FLOW_SMOOTH) -> float:
    """The share of the ``cover`` pixels (``(H, W)`` bool) where the learned ``flow`` (``(2, H, W)``
    float32, normalised units), smoothed over ``smooth`` frame px, folds the garment or squeezes it
    to under :data:`FOLD_AREA` of its area (the Jacobian determinant of ``p -> p + flow(p)``); 0.0
    when nothing is covered."""
    if not cover.any():
        return 0.0
    h, w = flow.shape[1:]
    fx = wide_gaussian(np.ascontiguousarray(flow[0], np.float32), smooth) * (w / 2.0)
    fy = wide_gaussian(np.ascontiguousarray(flow[1], np.float32), smooth) * (h / 2.0)
    dx_dx, dx_dy = np.gradient(fx, axis=1), np.gradient(fx, axis=0)
    dy_dx, dy_dy = np.gradient(fy, axis=1), np.gradient(fy, axis=0)
    det = (1.0 + dx_dx) * (1.0 + dy_dy) - dx_dy * dy_dx
    return float((det[cover] <= FOLD_AREA).mean())


def _to_photo(frame: np.ndarray, alignment: Alignment, box: tuple[int, int, int, int],
              border: float = 0.0, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """A frame array resampled (bilinear, or ``interpolation``) onto the photo pixels of ``box``."""
    x0, y0, x1, y1 = box
    return cv2.warpAffine(frame, alignment.box_matrix(x0, y0), (x1 - x0, y1 - y0),
                          flags=interpolation | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _tears(frame_map: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """``(H, W)`` bool: frame pixels beside a tear in the map, where it jumps between two places
    of the garment photo (a sleeve laid over the torso in one map: the sleeve's place, then the torso's) by
    more than :data:`TEAR` times its usual step from one pixel to the next, both where the garment
    is ``shown`` (``(H, W)`` bool)."""
    valid = shown & (frame_map[..., 0] > OUTSIDE / 2)
    torn = np.zeros(valid.shape, bool)
    down = (np.linalg.norm(frame_map[1:] - frame_map[:-1], axis=-1), valid[1:] & valid[:-1])
    right = (np.linalg.norm(frame_map[:, 1:] - frame_map[:, :-1], axis=-1), valid[:, 1:] & valid[:, :-1])
    usual = np.concatenate([down[0][down[1]], right[0][right[1]]])
    if usual.size == 0:
        return torn
    limit = TEAR * max(float(np.median(usual)), 1e-3)
    cut = down[1] & (down[0] > limit)
    torn[:-1] |= cut
    torn[1:] |= cut
    cut = right[1] & (right[0] > limit)
    torn[:, :-1] |= cut
    torn[:, 1:] |= cut
    return torn


def _premultiplied_source(source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The garment photo ``(hs, ws, 3)`` uint8 with its mask ``(hs, ws)`` bool as one
    ``(hs, ws, 4)`` float32 stack: colour premultiplied by coverage, then coverage (what
    :func:`_read` samples; made once per composition, however many maps read it)."""
    cover = mask[..., None].astype(np.float32)
    return np.concatenate([source.astype(np.float32) * cover, cover], -1)


def _read(stack: np.ndarray, where: np.ndarray, at: np.ndarray | None = None) -> np.ndarray:
    """The garment photo's ``stack`` (:func:`_premultiplied_source`) read at ``where`` (``(h, w, 2)``
    pixels): ``(h, w, 4)`` float32, its colour premultiplied by its coverage (in ``[0, 255]``),
    then the coverage (before clipping); an area filter first when it is read sparsely.
    :func:`_unpremultiplied` gives the colour. With ``at`` (``(n,)`` flat indices into
    ``(h, w)``), only those pixels are read: ``(n, 4)``."""
    step = 1.0
    sub = where[::STEP_SAMPLE, ::STEP_SAMPLE]  # source pixels per output pixel, from the map itself
    dx = np.linalg.norm(np.diff(sub, axis=1), axis=-1) / STEP_SAMPLE
    ok = (sub[:, 1:, 0] > OUTSIDE / 2) & (sub[:, :-1, 0] > OUTSIDE / 2)
    if ok.sum() > 16:
        step = float(np.median(dx[ok]))
    if step > 1.25:
        valid = where[..., 0] > OUTSIDE / 2
        factor = min(step, MAX_DOWNSCALE)
        size = (max(1, round(stack.shape[1] / factor)), max(1, round(stack.shape[0] / factor)))
        sx, sy = size[0] / stack.shape[1], size[1] / stack.shape[0]
        stack = cv2.resize(stack, size, interpolation=cv2.INTER_AREA)
        where = np.stack([(where[..., 0] + 0.5) * sx - 0.5, (where[..., 1] + 0.5) * sy - 0.5], -1)
        where[~valid] = OUTSIDE
    n = 0
    if at is not None:  # the pixels asked for, in rows of READ_ROW (remap takes at most 32767 a side)
        n = at.size
        picked = np.full((-(-n // READ_ROW) * READ_ROW, 2), OUTSIDE, np.float32)
        np.take(where.reshape(-1, 2), at, axis=0, out=picked[:n])
        where = picked.reshape(-1, READ_ROW, 2)
    # One two-channel map (no copies of its x and y apart).
    read = cv2.remap(stack, np.ascontiguousarray(where, np.float32), None, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    return read.reshape(-1, 4)[:n] if at is not None else read


def _unpremultiplied(read: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_read`'s ``(h, w, 4)`` as colour ``(h, w, 3)`` in ``[0, 255]`` and coverage
    ``(h, w)`` in ``[0, 1]``."""
    t = torch.from_numpy(read)
    colour = t[..., :3] / t[..., 3:4].clamp(min=MIN_COVER)  # (in torch: two threads)
    return colour.numpy(), t[..., 3].clamp(0.0, 1.0).numpy()


def _fill_holes(colour: np.ndarray, cover: np.ndarray, wanted: np.ndarray, sigma: float) -> None:
    """Fill, in place, the holes of the garment as read from its photo (``colour`` ``(h, w, 3)``
    in ``[0, 255]``, ``cover`` ``(h, w)`` in ``[0, 1]``) where the render shows the garment
    (``wanted``, ``(h, w)`` bool) but its photo does not cover the pixel, with the colour of the
    garment around it (blurred over ``sigma`` photo px, weighted by its cover), where at least
    :data:`HOLE_AROUND` of the neighbourhood is garment (inside it, not beyond its outline).

    The flat photo's underarm notch, between a sleeve and the body, lands on the armpit: there the
    network shows the garment, the photo has none, and the render's own dark shadow of the old
    sleeve showed through (a black patch under a T-shirt's sleeve on a long-sleeved wearer)."""
    holes = wanted & (cover < HOLE_COVER)
    if not holes.any():
        return
    ys, xs = np.flatnonzero(holes.any(1)), np.flatnonzero(holes.any(0))
    r = int(np.ceil(3 * sigma))
    y0, y1, x0, x1 = max(ys[0] - r, 0), ys[-1] + r + 1, max(xs[0] - r, 0), xs[-1] + r + 1
    sub_cover, sub_colour = cover[y0:y1, x0:x1], colour[y0:y1, x0:x1]
    # Cover and colour weighted by it, blurred together, on a grid HOLE_SHRINK times coarser than
    # the blur (a neighbourhood's mean: nothing fine is lost).
    hh, ww = sub_cover.shape
    stack = torch.empty((hh, ww, 4), dtype=torch.float32)  # (in torch: two threads)
    torch.mul(torch.from_numpy(sub_colour), torch.from_numpy(sub_cover)[..., None], out=stack[..., :3])
    stack[..., 3] = torch.from_numpy(sub_cover)
    f = max(1, int(sigma / HOLE_SHRINK))
    small = cv2.resize(stack.numpy(), (max(1, ww // f), max(1, hh // f)), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / f)  # read back at the pixels that need it alone
    hy, hx = np.nonzero(holes[y0:y1, x0:x1])
    inside = _upsampled(blurred[..., 3], (hh, ww), hy, hx) >= HOLE_AROUND
    fill = np.zeros((hh, ww), bool)
    fill[hy[inside], hx[inside]] = True
    if not fill.any():
        return
    # ...and the hole's rim, partly covered: mixed with the render's dark there, it outlined the hole.
    rim = cv2.dilate(fill.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=HOLE_RIM_PX) > 0
    fy, fx = np.nonzero(rim & wanted[y0:y1, x0:x1] & (sub_cover < 1.0))
    at = _upsampled(blurred, (hh, ww), fy, fx)    # (n, 4): the garment around each pixel to fill
    mean = at[:, :3] / np.maximum(at[:, 3:], MIN_COVER)
    t = sub_cover[fy, fx][:, None]
    sub_colour[fy, fx] = sub_colour[fy, fx] * t + mean * (1.0 - t)
    sub_cover[fy, fx] = 1.0


def _upsampled(small: np.ndarray, size: tuple[int, int], ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``small`` (``(h, w)`` or ``(h, w, c)`` float32) resized bilinearly to ``size`` ``(H, W)``
    as ``cv2.resize`` does (pixel centres aligned, edges replicated), read at the pixels ``(ys,
    xs)`` alone: ``(n,)`` or ``(n, c)``."""
    h, w = small.shape[:2]
    sy = np.clip((ys + 0.5) * (h / size[0]) - 0.5, 0.0, h - 1.0)
    sx = np.clip((xs + 0.5) * (w / size[1]) - 0.5, 0.0, w - 1.0)
    y0, x0 = np.floor(sy).astype(np.intp), np.floor(sx).astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (sy - y0).astype(np.float32), (sx - x0).astype(np.float32)
    if small.ndim == 3:
        wy, wx = wy[:, None], wx[:, None]
    top = small[y0, x0] * (1 - wx) + small[y0, x1] * wx
    bottom = small[y1, x0] * (1 - wx) + small[y1, x1] * wx
    return top * (1 - wy) + bottom * wy


def _repaint_seam(region: np.ndarray, photo: np.ndarray, repaint: Callable[[np.ndarray], np.ndarray],
                  extent: np.ndarray | None = None) -> None:
    """Raise ``region`` (``(h, w)`` float32 alpha, in place) in its seam where ``photo``
    (``(h, w, 3)`` uint8) is to be repainted: ``repaint``'s measure, read on the photo halved
    and blurred over :data:`SEAM_SMOOTH` photo pixels (one pixel's colour alone decides nothing:
    no ragged fringe), ramped from :data:`SEAM_FROM` to :data:`SEAM_FULL`.

    ``extent`` (``(h, w)`` float32, on an enlarged frame): the region's extent in the frame,
    smoothed (:data:`SEAM_EDGE_SIGMA`) and resampled to the photo. Raised wholly up to the
    region's very edge, the frame's pixels showed as a staircase where the old garment goes on
    past the region (a turtleneck's collar kept whole, the old top under hair); the raise is held
    to a smooth edge about where that staircase runs instead (:data:`SEAM_EDGE_FROM`)."""
    seam = (region > 0.0) & (region < 1.0)
    if extent is not None:
        seam |= (region == 0.0) & (extent > SEAM_EDGE_FROM)
    at = np.flatnonzero(seam)  # flat indices: a photo's seam gathers fast
    if at.size == 0:
        return
    ys, xs = np.divmod(at, region.shape[1])
    y0, x0 = ys.min() & ~1, xs.min() & ~1  # even, so that a seam pixel's half is (y - y0) // 2
    sub = photo[y0:ys.max() + 1, x0:xs.max() + 1]
    half = cv2.resize(sub, ((sub.shape[1] + 1) // 2, (sub.shape[0] + 1) // 2), interpolation=cv2.INTER_AREA)
    measure = cv2.GaussianBlur(np.ascontiguousarray(repaint(half), np.float32), (0, 0), SEAM_SMOOTH / 2)
    raised = np.clip((np.take(measure, (ys - y0) // 2 * measure.shape[1] + (xs - x0) // 2) - SEAM_FROM)
                     / (SEAM_FULL - SEAM_FROM), 0.0, 1.0)
    if extent is not None:
        raised = np.minimum(raised, np.clip((np.take(extent, at) - SEAM_EDGE_FROM) / SEAM_EDGE_RAMP, 0.0, 1.0))
    flat = region.reshape(-1)
    flat[at] = np.maximum(np.take(flat, at), raised)


def _with_layer(read: np.ndarray, layer: tuple[np.ndarray, np.ndarray], stack: np.ndarray,
                alignment: Alignment, box: tuple[int, int, int, int], wanted: np.ndarray) -> np.ndarray:
    """The garment read through ``layer``'s map blended over the frame map's ``read``
    (:func:`_read`'s ``(h, w, 4)`` on the photo pixels of ``box``, changed in place and returned)
    where ``layer`` shows (see :func:`compose`), and wherever the garment is ``wanted``
    (``(h, w)`` bool: the render shows it) but the frame map reads less of it than the layer's does.

    (The second rule: the network's flow moves a laid sleeve off the pixels it showed on before
    the flow, where only the layer's map reads it; on a bent arm the frame map read nothing on
    a strip by the armpit, and the render's bare arm showed through between sleeve and torso.
    Where the frame map does read the garment it stays: moving where the layer shows with the
    flow smeared sleeves over the print on crossed arms.)"""
    layer_map, layer_shows = layer
    share = layer_shows.astype(np.float32)
    if alignment.scale * ENLARGED < 1.0:  # as the masks: no frame pixel steps
        share = cv2.GaussianBlur(share, (0, 0), MASK_SIGMA)
    share = _to_photo(share, alignment, box)
    # Bilinear from the frame, the share ramps over one frame pixel (several photo pixels):
    # steepened around its middle to a seam :data:`LAYER_SEAM` photo px wide.
    steep = max(1.0, 1.0 / (alignment.scale * LAYER_SEAM))
    share = torch.from_numpy(share).sub_(0.5).mul_(steep).add_(0.5).clamp_(0.0, 1.0).numpy()  # (torch: two threads)
    at = np.flatnonzero((share > 0) | (wanted & (read[..., 3] < 1.0)))  # read and blend there alone
    if at.size == 0:
        return read
    where = _to_photo(np.ascontiguousarray(layer_map, np.float32), alignment, box, OUTSIDE)
    top = _read(stack, where, at)
    # Gathered and written back by flat index in torch (a photo's million pixels: a tuple of
    # row and column indices in NumPy took four times as long).
    pixels, index = torch.from_numpy(read.reshape(-1, 4)), torch.from_numpy(at)
    below = pixels.index_select(0, index).numpy()
    share = np.maximum(np.take(share, at), np.clip(top[:, 3] - below[:, 3], 0.0, 1.0))
    pixels.index_copy_(0, index, torch.from_numpy(below + (top - below) * share[:, None]))
    return read


def compose(photo: np.ndarray, rendered: np.ndarray, alpha: np.ndarray, alignment: Alignment, *,
            frame_map: np.ndarray, shows: np.ndarray, keeps: np.ndarray, source: np.ndarray,
            source_mask: np.ndarray, shading: np.ndarray | None = None,
            repaint: Callable[[np.ndarray], np.ndarray] | None = None,
            layer: tuple[np.ndarray, np.ndarray] | None = None,
            overlay: Overlay | None = None) -> tuple[np.ndarray, FullResGarment]:
    """Paste a frame render back into the photo with the garment's own pixels, in one pass.

    Per photo pixel, with every frame array resampled bilinearly: the render where the pasted
    region's ``alpha`` says so (as :func:`tryon.paste.paste_back` does), the photo's own pixels
    where the render kept them (``keeps``), and over that the garment read from its own photo
    (:func:`source_map`) where the render shows it (``shows``) and the garment covers; where it
    shows it over a hole in the garment photo, the garment around the hole (:func:`_fill_holes`).

    Args:
        photo: ``(h, w, 3)`` uint8 original photo.
        rendered: ``(H, W, 3)`` uint8 frame render; ``alpha``: ``(H, W)`` float32 in ``[0, 1]``,
            the pasted region, feathered.
        alignment: the photo -> frame transform of that render.
        frame_map: ``(H, W, 2)`` float32, :func:`source_map`.
        shows: ``(H, W)`` float32 in ``[0, 1]``, where the render shows the garment (before its
            coverage); ``keeps``: ``(H, W)`` float32 in ``[0, 1]``, where it kept the photo.
        source, source_mask: the garment photo ``(hs, ws, 3)`` uint8 and its mask ``(hs, ws)``.
        shading: optional ``(H, W)`` float32 multiplier for the garment (1 = unchanged), see
            :func:`tryon.composite.shading_map`.
        repaint: optional measure of the photo's own pixels, ``(..., 3)`` uint8 -> ``(...)``
            float in ``[0, 1]``, how surely each is to be repainted (the old garment's colours,
            :meth:`tryon.old_garment.OldColours.share`): in the region's feathered seam
            (``0 < alpha < 1``, photo pixels) it raises the seam's alpha
            (:func:`_repaint_seam`), so the old garment's edge, at the photo's resolution,
            does not show through the seam; on an enlarged frame, along a smooth edge that runs
            up to half a frame pixel past the resampled region's (not along its pixel steps).
        layer: optional ``(layer_map, layer_shows)``: a second :func:`source_map` ``(H, W, 2)``
            (sleeves laid along the arms, :class:`tryon.warp.SleeveLayers`) and where it is read
            instead of ``frame_map`` (``(H, W)`` bool). Each map is read on its own and the two
            are blended over their seam (:data:`LAYER_SEAM` photo px), smooth at any size: one
            map that jumps from a sleeve to the torso, read nearest across the jump, drew the
            frame's pixel steps there.
        overlay: optional ``overlay(alignment, box)``: what is drawn over all that at the photo's
            own resolution, inside the pasted region, as a list of ``(drawn, coverage, colour)``:
            a photo box ``(x0, y0, x1, y1)`` within ``box`` and, on its pixels, ``(h, w)`` float32
            in ``[0, 1]`` and ``(h, w, 3)`` float32 in ``[0, 255]`` (arms a shorter sleeve bares,
            :func:`tryon.bare_arms.arms_in_photo_pixels`).

    Returns:
        ``(out, garment)``: the ``(h, w, 3)`` uint8 result, byte-identical to ``photo`` wherever
        the resampled ``alpha`` is 0 (but for that smooth repainted edge), and the
        :class:`FullResGarment`.
    """
    h, w = photo.shape[:2]
    out = photo.copy()
    box = alignment.photo_box(alpha > 0, (0, 0, w, h))
    if box is None:
        empty = FullResGarment(np.zeros((0, 0, 3), np.float32), np.zeros((0, 0), np.float32), (0, 0, 0, 0), (h, w))
        return out, empty
    x0, y0, x1, y1 = box
    # Three resamplings onto the box, one per border rule: the weights (0 off the frame), the
    # map (reads nothing off the frame), the render (edges replicated).
    light = np.zeros_like(alpha, np.float32) if shading is None else shading.astype(np.float32) - 1.0
    layers = [alpha, keeps, shows, light]
    enlarged = alignment.scale * ENLARGED < 1.0
    edged = repaint is not None and enlarged  # the region's smoothed extent (see _repaint_seam)
    if edged:
        layers.append(cv2.GaussianBlur((alpha > 0).astype(np.float32), (0, 0), SEAM_EDGE_SIGMA))
    weights = np.dstack(layers).astype(np.float32)
    if enlarged:  # alpha stays: the region's extent, outside it nothing changes
        weights[..., 1:3] = cv2.GaussianBlur(np.ascontiguousarray(weights[..., 1:3]), (0, 0), MASK_SIGMA)
    weights = _to_photo(weights, alignment, box)
    region = torch.from_numpy(weights[..., 0]).clamp(0.0, 1.0).numpy()  # (torch: two threads)
    if repaint is not None:
        _repaint_seam(region, photo[y0:y1, x0:x1], repaint, weights[..., 4] if edged else None)
    where = _to_photo(np.ascontiguousarray(frame_map, np.float32), alignment, box, OUTSIDE)
    torn = _tears(frame_map, shows > 0.5)
    if torn.any():  # across a tear a blend of the two places reads neither: the nearer one, whole
        near = _to_photo(np.ascontiguousarray(frame_map, np.float32), alignment, box, OUTSIDE, cv2.INTER_NEAREST)
        at = _to_photo(torn.astype(np.uint8), alignment, box, 0, cv2.INTER_NEAREST) > 0
        where[at] = near[at]
    stack = _premultiplied_source(source, source_mask.astype(bool))
    read = _read(stack, where)
    if layer is not None:
        read = _with_layer(read, layer, stack, alignment, box, (region > 0) & (weights[..., 2] > 0))
    colour, cover = _unpremultiplied(read)
    _fill_holes(colour, cover, (region > 0) & (weights[..., 2] > HOLE_SHOWN), HOLE_SIGMA / alignment.scale)
    garment = FullResGarment(colour, cover, box, (h, w))
    if not (region > 0).any():
        return out, garment
    # Whole-box arithmetic (contiguous, faster than gathering the region's pixels), written back
    # whole: outside the region it gives the photo's own bytes (below).
    up = cv2.warpAffine(rendered, alignment.box_matrix(x0, y0), (x1 - x0, y1 - y0),
                        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                        borderMode=cv2.BORDER_REPLICATE)
    roi = out[y0:y1, x0:x1]
    # In place, on the box: up <- photo + (render - photo) * a * (1 - a * keeps), the render where
    # pasted and the photo where kept; then up += (garment - up) * a * shows * cover, the
    # garment's own pixels (lit by the shading) over it. (In torch: its two threads, where NumPy
    # has one, halve this on a phone's photo; the same float32 steps as before.)
    a = torch.from_numpy(region)[..., None]
    w = torch.from_numpy(weights)
    p = torch.from_numpy(roi).float()
    up_t = torch.from_numpy(up).float()
    kept = w[..., 1:2].clamp(0.0, 1.0)
    kept.mul_(a)
    kept = torch.rsub(kept, 1.0)
    kept.mul_(a)
    shown = w[..., 2:3].clamp(0.0, 1.0)
    shown.mul_(torch.from_numpy(cover)[..., None])
    shown.mul_(a)
    # (a new tensor: the returned garment keeps its colour unlit)
    lit = (torch.from_numpy(colour.copy()) if shading is None
           else torch.mul(torch.from_numpy(colour), w[..., 3:4] + 1.0).clamp_(0.0, 255.0))
    up_t.sub_(p).mul_(kept).add_(p)
    lit.sub_(up_t).mul_(shown)
    up_t.add_(lit)
    for (dx0, dy0, dx1, dy1), cover, over in (overlay(alignment, box) if overlay is not None else ()):
        at = np.s_[dy0 - y0:dy1 - y0, dx0 - x0:dx1 - x0]  # up += (colour - up) * a * its coverage, in its box
        under = up_t[at]
        under.add_(torch.from_numpy(over).sub_(under).mul_(torch.from_numpy(cover)[..., None].mul_(a[at])))
    up_t.add_(0.5).clamp_(0.0, 255.0)
    # Where the region's alpha is 0, kept and shown are 0: up is the photo's value plus 0.5,
    # truncated back to it, so the whole box is written, byte-identical outside the region.
    roi[...] = up_t.to(torch.uint8).numpy()
    return out, garment
