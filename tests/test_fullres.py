"""Full-resolution composition (tryon.fullres) and the texture ratio (tryon.metrics.texture_ratio)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tryon.alignment import Alignment
from tryon.fullres import BROAD_FLOW_SMOOTH, FLOW_SMOOTH, compose, source_map
from tryon.metrics import texture_ratio

FRAME = (64, 48)
SCALE = 4  # photo pixels per frame pixel
RATIO_GAIN = 1.3  # full resolution keeps at least this much more texture than the blown-up render


def _identity_grid(h: int, w: int) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([xs / (w - 1) * 2 - 1, ys / (h - 1) * 2 - 1], -1)


def _stripes(h: int, w: int, period: int = 4) -> np.ndarray:
    rows = (np.arange(h) // (period // 2)) % 2
    out = np.where(rows[:, None, None] == 1, 230, 20).astype(np.uint8)
    return np.broadcast_to(out, (h, w, 3)).copy()


def test_source_map_chains_the_flow_the_spline_and_the_layout():
    h, w = FRAME
    grid = _identity_grid(h, w)
    to_layout = np.array([[0.5, 0.0, 3.0], [0.0, 0.5, -2.0]])      # source -> layout
    plain = source_map(grid, None, to_layout)
    ys, xs = np.mgrid[0:h, 0:w]
    assert np.allclose(plain[..., 0], (xs - 3.0) / 0.5, atol=1e-3)
    assert np.allclose(plain[..., 1], (ys + 2.0) / 0.5, atol=1e-3)
    flow = np.zeros((2, h, w), np.float32)
    flow[0] = 2.0 / w                                             # one frame pixel to the right
    moved = source_map(grid, flow, to_layout)
    assert np.allclose(moved[:, :-1, 0], plain[:, 1:, 0], atol=1e-3)


def test_broad_smoothing_keeps_the_flows_broad_fit_and_drops_its_bends():
    """At BROAD_FLOW_SMOOTH a flow's 8 px bends (what twists prints) are gone, a broad shift stays."""
    h, w = FRAME
    grid = _identity_grid(h, w)
    to_layout = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    plain = source_map(grid, None, to_layout)
    ys, xs = np.mgrid[0:h, 0:w]
    flow = np.zeros((2, h, w), np.float32)
    flow[0] = (3.0 + 2.0 * np.sin(xs * 2 * np.pi / 8)) * 2.0 / w     # 3 px shift, 2 px bends
    bends = {}
    for smooth in (FLOW_SMOOTH, BROAD_FLOW_SMOOTH):
        shift = source_map(grid, flow, to_layout, smooth)[..., 0] - plain[..., 0]
        inner = shift[:, w // 4:-w // 4]                           # away from the frame's edges
        assert abs(np.median(inner) - 3.0) < 0.05
        bends[smooth] = np.ptp(inner, axis=1).max()
    assert bends[FLOW_SMOOTH] > 1.0 and bends[BROAD_FLOW_SMOOTH] < bends[FLOW_SMOOTH] / 5, bends  # remap's 1/32 px steps


def test_compose_reads_the_garment_photo_at_the_photos_resolution_and_nothing_else_changes():
    h, w = FRAME
    photo = np.full((h * SCALE, w * SCALE, 3), 128, np.uint8)
    photo[::7, ::5] = 90                                         # texture to keep: the photo's own
    alignment = Alignment(np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]), FRAME, (w * SCALE, h * SCALE))
    source = _stripes(h * SCALE, w * SCALE)                      # 4 px stripes: gone at frame size
    to_layout = np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]])
    frame_map = source_map(_identity_grid(h, w), None, to_layout)
    region = np.zeros(FRAME, np.float32)
    region[16:48, 12:36] = 1.0
    shows = np.zeros(FRAME, np.float32)
    shows[16:48, 12:24] = 1.0                                    # the garment on the left half
    keeps = np.zeros(FRAME, np.float32)
    keeps[16:48, 24:36] = 1.0                                    # the photo kept on the right half
    rendered = np.full((h, w, 3), 250, np.uint8)
    out, garment = compose(photo, rendered, region, alignment, frame_map=frame_map, shows=shows,
                           keeps=keeps, source=source, source_mask=np.ones(source.shape[:2], bool))
    left = (slice(20 * SCALE, 44 * SCALE), slice(14 * SCALE, 22 * SCALE))
    right = (slice(20 * SCALE, 44 * SCALE), slice(26 * SCALE, 34 * SCALE))
    assert np.abs(out[left].astype(int) - source[left].astype(int)).mean() < 3   # the stripes, sharp
    assert np.abs(out[right].astype(int) - photo[right].astype(int)).mean() < 2  # the photo, not the render
    far = np.ones(photo.shape[:2], bool)
    far[15 * SCALE:49 * SCALE, 11 * SCALE:37 * SCALE] = False
    assert np.array_equal(out[far], photo[far])                  # outside the region: byte-identical
    x0, y0, x1, y1 = garment.box
    assert garment.rgb.shape == (y1 - y0, x1 - x0, 3) and garment.preview(64).size == (48, 64)


def test_an_overlay_is_drawn_over_the_result_at_the_photos_resolution_inside_the_region_only():
    """``compose(overlay=)`` (the arms a shorter sleeve bares, drawn on the photo's pixels): its
    colour where it covers, within the pasted region; outside the region the photo's own bytes."""
    h, w = FRAME
    photo = np.full((h * SCALE, w * SCALE, 3), 128, np.uint8)
    alignment = Alignment(np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]), FRAME, (w * SCALE, h * SCALE))
    source = _stripes(h * SCALE, w * SCALE)
    frame_map = source_map(_identity_grid(h, w), None, np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]))
    region = np.zeros(FRAME, np.float32)
    region[16:48, 12:36] = 1.0
    shows = np.zeros(FRAME, np.float32)
    shows[16:48, 12:36] = 1.0                                    # the garment over the whole region
    asked = []

    def overlay(al, box):
        asked.append(box)
        drawn = (box[0], 30 * SCALE, 30 * SCALE, 40 * SCALE)     # (within the box) its left end outside the region
        cover = np.ones((10 * SCALE, 30 * SCALE - box[0]), np.float32)
        return [(drawn, cover, np.full((*cover.shape, 3), (200.0, 150.0, 120.0), np.float32))]

    args = dict(frame_map=frame_map, shows=shows, keeps=np.zeros(FRAME, np.float32), source=source,
                source_mask=np.ones(source.shape[:2], bool))
    out, _ = compose(photo, np.full((h, w, 3), 250, np.uint8), region, alignment, overlay=overlay, **args)
    plain, _ = compose(photo, np.full((h, w, 3), 250, np.uint8), region, alignment, **args)
    assert len(asked) == 1
    inside = (slice(32 * SCALE, 38 * SCALE), slice(14 * SCALE, 28 * SCALE))
    assert (out[inside] == (200, 150, 120)).all()                # drawn over the garment
    outside = np.ones(photo.shape[:2], bool)
    outside[30 * SCALE:40 * SCALE, asked[0][0]:30 * SCALE] = False
    assert np.array_equal(out[outside], plain[outside])          # only where it is drawn
    left = (slice(30 * SCALE, 40 * SCALE), slice(asked[0][0], 11 * SCALE))
    assert asked[0][0] < 11 * SCALE and np.array_equal(out[left], photo[left])  # outside the region: the photo's


def test_a_hole_in_the_garment_where_the_render_shows_it_is_filled_with_the_garment_around_it():
    """The garment photo's underarm notch lands where the network shows the garment (an armpit):
    the render's own dark guess showed through, a black patch. Filled with the garment's colour
    around it; beyond the garment's outline, where nothing of it lies around, the render stays."""
    h, w = FRAME
    photo = np.full((h * SCALE, w * SCALE, 3), 200, np.uint8)
    alignment = Alignment(np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]), FRAME, (w * SCALE, h * SCALE))
    source = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    source[...] = (60, 90, 200)                                  # a blue garment...
    source_mask = np.zeros((h * SCALE, w * SCALE), bool)
    source_mask[16 * SCALE:48 * SCALE, 12 * SCALE:36 * SCALE] = True
    source_mask[28 * SCALE:33 * SCALE, 22 * SCALE:26 * SCALE] = False   # ...with a notch 4x5 frame px
    frame_map = source_map(_identity_grid(h, w), None, np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]))
    region = np.zeros(FRAME, np.float32)
    region[12:52, 8:40] = 1.0
    shows = np.zeros(FRAME, np.float32)
    shows[12:52, 8:40] = 1.0                                     # shown over the notch and past the outline
    rendered = np.full((h, w, 3), 10, np.uint8)                  # the network's dark guess
    out, garment = compose(photo, rendered, region, alignment, frame_map=frame_map, shows=shows,
                           keeps=np.zeros(FRAME, np.float32), source=source, source_mask=source_mask)
    notch = (slice(29 * SCALE, 32 * SCALE), slice(23 * SCALE, 25 * SCALE))
    assert np.abs(out[notch].astype(int) - (60, 90, 200)).max() <= 3      # the garment, not the dark render
    beyond = (slice(20 * SCALE, 44 * SCALE), slice(8 * SCALE + 1, 10 * SCALE))
    assert (out[beyond] < 40).all()                              # past its outline: the render, as before
    x0, y0, _, _ = garment.box
    assert garment.alpha[30 * SCALE - y0, 24 * SCALE - x0] == 1.0


def test_an_enlarged_frame_masks_edge_shows_no_pixel_steps():
    """A garment edge running diagonally through the frame's pixels, on a photo 4x the frame: the
    frame's binary mask, enlarged, made saw teeth (4 px steps) along a sleeve; smoothed first, the
    edge on the photo follows the diagonal within a pixel."""
    h, w = FRAME
    photo = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    alignment = Alignment(np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]), FRAME, (w * SCALE, h * SCALE))
    source = np.full((h * SCALE, w * SCALE, 3), 255, np.uint8)   # a white garment...
    frame_map = source_map(_identity_grid(h, w), None, np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]))
    ys, xs = np.mgrid[0:h, 0:w]
    shows = (xs < 8 + 0.5 * ys).astype(np.float32)              # ...shown left of a diagonal, in frame pixels
    out, _ = compose(photo, np.zeros((h, w, 3), np.uint8), np.ones(FRAME, np.float32), alignment,
                     frame_map=frame_map, shows=shows, keeps=np.zeros(FRAME, np.float32), source=source,
                     source_mask=np.ones(source.shape[:2], bool))
    rows = np.arange(10 * SCALE, 50 * SCALE)
    edge = np.array([np.argmax(out[r, :, 0] < 128) for r in rows], np.float64)   # first dark pixel per row
    line = np.polyval(np.polyfit(rows, edge, 1), rows)
    assert np.abs(edge - line).max() <= 1.0, np.abs(edge - line).max()


def test_a_sleeve_laid_over_the_torso_reads_no_line_from_between_their_places():
    """The map tears where a laid sleeve lies over the torso (their places on the garment photo are
    apart); a bilinear blend of the two read what lies between them, a light line along the
    sleeve's edge. Across the tear each photo pixel reads one of the two places."""
    h, w = FRAME
    photo = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    alignment = Alignment(np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]), FRAME, (w * SCALE, h * SCALE))
    source = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    source[:, :80] = (200, 40, 40)                               # the torso's place: red
    source[:, 80:112] = (250, 250, 250)                          # between: a white band (the photo's background)
    source[:, 112:] = (40, 40, 200)                              # the sleeve's place: blue
    frame_map = source_map(_identity_grid(h, w), None, np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]))
    frame_map[..., 0] = np.where(np.arange(w) < 24, 40.0, 150.0)[None, :] + np.arange(w)[None, :] * 0.5
    out, _ = compose(photo, np.zeros((h, w, 3), np.uint8), np.ones(FRAME, np.float32), alignment,
                     frame_map=frame_map, shows=np.ones(FRAME, np.float32), keeps=np.zeros(FRAME, np.float32),
                     source=source, source_mask=np.ones(source.shape[:2], bool))
    band = out[10 * SCALE:50 * SCALE, 20 * SCALE:28 * SCALE].astype(int)
    white = (band.min(axis=2) > 150).sum()
    assert white == 0, white                                      # nothing from between the two places
    assert (band[..., 0] > 150).any() and (band[..., 2] > 150).any()   # red, then blue


def test_a_laid_sleeves_seam_with_the_torso_is_smooth_on_a_larger_photo():
    """Sleeves laid along the arms come with their own grid (tryon.warp.SleeveLayers): each map
    is read on its own and blended over the seam, so on a photo 4x the frame the seam follows
    its diagonal within a pixel (one map read nearest across the jump drew 4 px steps), and
    nothing from between the two places on the garment photo shows."""
    h, w = FRAME
    photo = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    alignment = Alignment(np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]), FRAME, (w * SCALE, h * SCALE))
    source = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    source[:, :80] = (200, 40, 40)                               # the torso's place: red
    source[:, 80:112] = (250, 250, 250)                          # between: white
    source[:, 112:] = (40, 40, 200)                              # the sleeve's place: blue
    to_layout = np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]])
    torso = source_map(_identity_grid(h, w), None, to_layout)
    sleeve = torso.copy()
    torso[..., 0] = 20.0 + np.arange(w)[None, :] * 0.5           # both continuous, far apart
    sleeve[..., 0] = 130.0 + np.arange(w)[None, :] * 0.5
    ys, xs = np.mgrid[0:h, 0:w]
    on_sleeve = xs >= 8 + 0.5 * ys                               # the sleeve right of a diagonal
    out, garment = compose(photo, np.zeros((h, w, 3), np.uint8), np.ones(FRAME, np.float32), alignment,
                           frame_map=torso, shows=np.ones(FRAME, np.float32), keeps=np.zeros(FRAME, np.float32),
                           source=source, source_mask=np.ones(source.shape[:2], bool), layer=(sleeve, on_sleeve))
    rows = np.arange(10 * SCALE, 50 * SCALE)
    part = out[rows].astype(int)
    edge = np.array([np.argmax(r[:, 2] > r[:, 0]) for r in part], np.float64)   # first bluer pixel per row
    line = np.polyval(np.polyfit(rows, edge, 1), rows)
    assert np.abs(edge - line).max() <= 1.0, np.abs(edge - line).max()
    assert (part.min(axis=2) < 150).all()                         # nothing white from between
    assert tuple(out[30 * SCALE, 2 * SCALE]) == (200, 40, 40) and tuple(out[30 * SCALE, 44 * SCALE]) == (40, 40, 200)
    assert tuple(garment.rgb[30 * SCALE, 44 * SCALE]) == (40, 40, 200)   # the step image shows the blend too



def test_where_the_torsos_map_reads_nothing_a_laid_sleeves_map_that_does_is_read():
    """The network's flow moved a laid sleeve off the pixels where it showed before the flow: on
    a bent arm the torso's map read nothing on a strip by the armpit, and the render's bare arm
    showed between sleeve and torso. Where the render shows the garment and only the sleeve's map
    reads it, the sleeve's is read; where the torso's reads the garment (a print) it stays."""
    h, w = FRAME
    photo = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    alignment = Alignment(np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]]), FRAME, (w * SCALE, h * SCALE))
    source = np.zeros((h * SCALE, w * SCALE, 3), np.uint8)
    source[:, :80] = (200, 40, 40)                               # the torso's place: red
    source[:, 112:] = (40, 40, 200)                              # the sleeve's place: blue
    mask = np.ones(source.shape[:2], bool)
    mask[:, 80:112] = False                                      # between them: off the garment
    to_layout = np.array([[1.0 / SCALE, 0, 0], [0, 1.0 / SCALE, 0]])
    torso = source_map(_identity_grid(h, w), None, to_layout)
    sleeve = torso.copy()
    torso[..., 0] = 20.0 + np.arange(w)[None, :] * 0.5          # red up to column 24...
    torso[:, 20:28, 0] = 90.0                                    # ...but off the garment on columns 20-27
    sleeve[..., 0] = 130.0 + np.arange(w)[None, :] * 0.5         # blue everywhere
    on_sleeve = np.zeros(FRAME, bool)
    on_sleeve[:, 28:] = True                                     # where the sleeve showed before the flow
    render = np.full((h, w, 3), 240, np.uint8)                   # the render: a pale bare arm
    out, _ = compose(photo, render, np.ones(FRAME, np.float32), alignment, frame_map=torso,
                     shows=np.ones(FRAME, np.float32), keeps=np.zeros(FRAME, np.float32), source=source,
                     source_mask=mask, layer=(sleeve, on_sleeve))
    y = 30 * SCALE
    assert tuple(out[y, 10 * SCALE]) == (200, 40, 40)             # the torso where its map reads it
    strip = out[10 * SCALE:50 * SCALE, 21 * SCALE:27 * SCALE].reshape(-1, 3)
    assert (strip == (40, 40, 200)).all(axis=1).all()            # the sleeve, not the pale render
    assert tuple(out[y, 40 * SCALE]) == (40, 40, 200)

def test_texture_ratio_is_about_one_for_the_garment_itself_and_low_when_blurred():
    garment = _stripes(200, 160, period=8)
    mask = np.ones(garment.shape[:2], bool)
    photo = np.full((400, 320, 3), 128, np.uint8)
    result = photo.copy()
    result[100:300, 80:240] = garment
    assert 0.8 < texture_ratio(result, photo, garment, mask) < 1.25
    blurred = photo.copy()
    small = np.asarray(Image.fromarray(garment).resize((40, 50), Image.BILINEAR).resize((160, 200), Image.BILINEAR))
    blurred[100:300, 80:240] = small
    assert texture_ratio(blurred, photo, garment, mask) < 0.5
    assert np.isnan(texture_ratio(photo, photo, garment, mask))


def _striped_garment(examples_dir) -> tuple[Image.Image, np.ndarray]:
    """The blue T-shirt's shape, 1024 px high, filled with 12 px black-and-white stripes: finer
    than the 256x192 frame can hold once the shirt is on a 1024 px photo. RGBA, and its mask."""
    from tryon.garment_segmentation import segment_garment

    shirt = Image.open(examples_dir / "garments" / "tshirt_blue.jpg").convert("RGB")
    shirt = shirt.resize((round(shirt.width * 1024 / shirt.height), 1024), Image.LANCZOS)
    mask, _, _ = segment_garment(shirt)
    rgb = _stripes(*mask.shape, period=12)
    rgba = np.dstack([rgb, np.where(mask, 255, 0).astype(np.uint8)])
    return Image.fromarray(rgba, "RGBA"), mask


def test_pipeline_keeps_more_of_a_striped_garments_texture_at_full_resolution(person_example, examples_dir):
    """The astronaut at 1024 px in finely striped shirt: the garment's own pixels against the
    256x192 render blown up; the steps show the garment at the photo's resolution."""
    from pipelines import TryOnPipeline

    photo = Image.open(person_example).convert("RGB")
    big = np.asarray(photo.resize((photo.width * 2, photo.height * 2), Image.LANCZOS))
    garment, mask = _striped_garment(examples_dir)
    rgb = np.asarray(garment.convert("RGB"))
    ratios = {}
    for full in (True, False):
        out = TryOnPipeline.from_pretrained(full_resolution=full)(big, garment, output_type="np")
        assert out.image.shape == big.shape
        ratios[full] = texture_ratio(out.image, big, rgb, mask)
        warped = out.steps["warped"]
        assert warped.size == ((512, 512) if full else (192, 256))  # the photo's frame, or the model's
    assert ratios[True] > RATIO_GAIN * ratios[False], ratios


def test_garment_warps_read_the_garment_their_way_and_only_the_region_changes(person_example, examples_dir,
                                                                             monkeypatch):
    """garment_warp="spline" reads the garment photo through the spline alone (the map is made
    without the network's flow), "broad" through the flow smoothed to its broad fit; each changes
    the result, and, as through the flow, nothing outside the try-on region; a wrong value is
    refused."""
    import pipelines.tryon_pipeline as tp
    from pipelines import TryOnPipeline

    calls = []
    real = tp.source_maps
    monkeypatch.setattr(tp, "source_maps",
                        lambda grids, flow, layout, smooth: calls.append((flow, smooth)) or real(grids, flow, layout, smooth))
    photo = np.asarray(Image.open(person_example).convert("RGB"))
    garment, _ = _striped_garment(examples_dir)
    results = {}
    for warp in ("flow", "broad", "spline"):
        out = TryOnPipeline.from_pretrained(garment_warp=warp)(photo, garment, output_type="np")
        changed = np.any(out.image != photo, axis=-1)
        assert 0 < changed.mean() < 0.5 and not changed[:40].any()   # the region only; hair and sky stay
        results[warp] = out.image
    (flow, smooth), (broad, broad_smooth), (spline, _) = calls
    assert flow is not None and broad is not None and spline is None
    assert (smooth, broad_smooth) == (FLOW_SMOOTH, BROAD_FLOW_SMOOTH)
    for a, b in [("flow", "spline"), ("flow", "broad"), ("broad", "spline")]:
        assert np.abs(results[a].astype(int) - results[b]).mean() > 0.2, (a, b)
    with pytest.raises(ValueError, match="garment_warp"):
        TryOnPipeline(garment_warp="bent")


def test_flow_folds_counts_a_fold_not_a_shift_or_a_gentle_bend():
    """A flow that reads the garment mirrored across a band (the rings VITON 019415's stripes were
    swirled into fold them so) folds it; a shift or a broad bend does not."""
    from tryon.fullres import flow_folds

    h, w = 256, 192
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cover = np.zeros((h, w), bool)
    cover[60:200, 40:150] = True
    g = np.exp(-((xs - 95.0) ** 2 + (ys - 130.0) ** 2) / 50.0 ** 2)
    to_flow = lambda dx, dy: np.stack([dx / (w / 2), dy / (h / 2)]).astype(np.float32)  # noqa: E731
    fold = to_flow(-3.0 * (xs - 95.0) * g, np.zeros((h, w)))    # read mirrored about the centre column
    assert flow_folds(fold, cover) > 0.3
    assert flow_folds(to_flow(np.full((h, w), 12.0), np.full((h, w), -7.0)), cover) == 0.0
    bend = 10.0 * np.sin(ys / h * np.pi)                        # rows pushed sideways, broadly
    assert flow_folds(to_flow(bend, np.zeros((h, w))), cover) == 0.0
    assert flow_folds(fold, np.zeros((h, w), bool)) == 0.0
