"""The sleeve reader (tryon.models.sleeve_reader), its labels (tryon.data.sleeves), its training
(tryon.training.sleeve_task) and how the try-on tells a garment's sleeves (tryon.sleeves)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from images import ROOT, TSHIRT, hanging_arms_landmarks

from tryon import constants as C
from tryon.data.sleeves import kind_of, openpose_landmarks, worn_reach
from tryon.garment import prepare_garment
from tryon.models.sleeve_reader import SLEEVE_KINDS, SleeveReader, SleeveReaderConfig
from tryon.sleeves import MIN_CONFIDENCE, read_sleeves, sleeve_kind

H, W = C.FRAME_SIZE
TINY = SleeveReaderConfig(channels=(4, 8))


# ------------------------------------------------------------------------------ labels
def _wearer(sleeve_to: int | None) -> np.ndarray:
    """LIP ids of a frontal person, arms hanging beside the torso, in a top whose sleeves end at
    row ``sleeve_to`` (None: sleeveless); below, bare arms down to the hands."""
    labels = np.zeros((H, W), np.uint8)
    labels[75:200, 62:131] = C.LIP_UPPER_CLOTHES
    labels[78:215, 132:152] = C.LIP_LEFT_ARM
    labels[78:215, 40:60] = C.LIP_RIGHT_ARM
    if sleeve_to is not None:
        labels[78:sleeve_to, 132:152] = C.LIP_UPPER_CLOTHES
        labels[78:sleeve_to, 40:60] = C.LIP_UPPER_CLOTHES
    return labels


@pytest.mark.parametrize("sleeve_to, kind", [(None, "sleeveless"), (110, "short"), (196, "long")])
def test_the_worn_reach_is_where_the_bare_arm_begins(sleeve_to, kind):
    reach = worn_reach(_wearer(sleeve_to), hanging_arms_landmarks())
    assert reach is not None and SLEEVE_KINDS[kind_of(reach)] == kind, reach


def test_arms_out_of_view_give_no_label():
    lm = hanging_arms_landmarks()
    lm[[C.LEFT_ELBOW, C.RIGHT_ELBOW], 2] = 0.0
    assert worn_reach(_wearer(110), lm) is None


def test_openpose_keypoints_land_on_mediapipes_landmarks(tmp_path):
    points = np.zeros((18, 3))
    points[:, 2] = 0.9
    points[5, :2], points[2, :2], points[7, :2] = (130, 80), (62, 80), (144, 190)   # L/R shoulder, L wrist
    path = tmp_path / "p_keypoints.json"
    path.write_text(json.dumps({"people": [{"pose_keypoints": points.ravel().tolist()}]}))
    lm = openpose_landmarks(path)
    assert tuple(lm[C.LEFT_SHOULDER, :2]) == (130, 80) and tuple(lm[C.RIGHT_SHOULDER, :2]) == (62, 80)
    assert tuple(lm[C.LEFT_WRIST, :2]) == (144, 190) and lm[C.NOSE, 2] == 0.0
    path.write_text(json.dumps({"people": []}))
    assert openpose_landmarks(path) is None


def test_wild_photos_split_by_sender_and_keep_the_example_senders_out(tmp_path):
    import zlib

    from tryon.data.wild_garments import EXAMPLE_SENDERS, HELD_OUT_BUCKETS, wild_photos
    from tryon.errors import TryOnError

    with pytest.raises(TryOnError, match="images.csv"):
        wild_photos(tmp_path, held_out=False)
    senders = [str(i) for i in range(40)]
    rows = ["image,sender_id,label,kids"] + [f"p{s},{s},T-Shirt,False" for s in senders]
    rows += ["shirt,1,Shirt,False", "dress,2,Dress,False"]            # classes whose sleeves vary: left out
    (tmp_path / "images.csv").write_text("\n".join(rows) + "\n")
    held, trained = wild_photos(tmp_path, held_out=True), wild_photos(tmp_path, held_out=False)
    assert len(held) + len(trained) == 40 and all(label == "T-Shirt" for _, label in held + trained)
    assert {n[1:] for n, _ in held} == {s for s in senders
                                        if zlib.crc32(s.encode()) % HELD_OUT_BUCKETS == 0 or s in EXAMPLE_SENDERS}
    assert "p8" in {n for n, _ in held} and "p8" not in {n for n, _ in trained}   # sent a bundled example


# ------------------------------------------------------------------------------ model
def test_the_reader_gives_one_logit_per_kind_and_round_trips(tmp_path):
    torch.manual_seed(0)
    reader = SleeveReader(TINY).eval()
    x = torch.rand(3, 4, *TINY.resolution) * 2 - 1
    assert reader(x).shape == (3, len(SLEEVE_KINDS))
    reader.save_pretrained(tmp_path / "r")
    again = SleeveReader.from_pretrained(tmp_path / "r").eval()
    assert again.config == TINY and torch.allclose(again(x), reader(x))


def test_mask_edge_jitter_grows_and_eats_the_garment():
    from tryon.training.sleeve_task import _jitter_edge

    g = torch.ones(4, 20, 20)
    g[3] = -1
    g[:3, 5:15, 5:15] = -0.5
    g[3, 5:15, 5:15] = 1
    grown, eaten = _jitter_edge(g, 2, grow=True), _jitter_edge(g, 2, grow=False)
    assert (grown[3] > 0).sum() == 14 * 14 and (eaten[3] > 0).sum() == 6 * 6
    assert (grown[:3, 3, 3] == 1).all() and (eaten[:3, 5, 5] == 1).all()   # new and lost edges: white


# ------------------------------------------------------------------------------ telling the sleeves
def _reader_saying(probabilities: tuple[float, float, float]) -> SleeveReader:
    """A reader whose head gives these probabilities of :data:`SLEEVE_KINDS`, whatever the photo."""
    reader = SleeveReader(TINY).eval()
    with torch.no_grad():
        reader.head.weight.zero_()
        reader.head.bias.copy_(torch.log(torch.tensor(probabilities)))
    return reader


def _garment(sleeves: bool):
    """A flat grey T-shirt (sleeves stand out of its outline) or the same body without them."""
    import cv2
    from PIL import Image

    mask = np.zeros((256, 192), np.uint8)
    cv2.fillPoly(mask, [TSHIRT], 1)
    if not sleeves:
        mask[:, :46] = 0
        mask[:, 147:] = 0
    image = np.full((256, 192, 3), 255, np.uint8)
    image[mask > 0] = (120, 120, 130)
    return prepare_garment(Image.fromarray(image), mask=mask.astype(bool), size=C.FRAME_SIZE)


def test_sleeves_on_the_mask_decide_and_the_reader_tells_the_rest():
    tee, body = _garment(sleeves=True), _garment(sleeves=False)
    says_sleeveless = _reader_saying((0.9, 0.05, 0.05))
    np.testing.assert_allclose(read_sleeves(says_sleeveless, body), (0.9, 0.05, 0.05), atol=1e-5)
    assert sleeve_kind(tee, says_sleeveless) == "short"            # the mask shows short sleeves
    assert sleeve_kind(body, says_sleeveless) == "sleeveless"       # no sleeve found: the reader tells
    assert sleeve_kind(body, _reader_saying((0.05, 0.1, 0.85))) == "long"
    torn = (MIN_CONFIDENCE + 0.1) / 2                               # sleeveless or short, but not long
    assert sleeve_kind(body, _reader_saying((torn, torn, 1 - 2 * torn))) == "short"
    unsure = (MIN_CONFIDENCE - 0.1) / 2
    assert sleeve_kind(body, _reader_saying((unsure, unsure, 1 - 2 * unsure))) is None
    assert sleeve_kind(body, None) is None                          # without a reader: untold


# ------------------------------------------------------------------------------ training
def _tiny_viton_with_poses(root):
    """The tiny generated VITON set, its persons given OpenPose arms hanging inside the parse
    map's upper clothes (so every garment is labelled long-sleeved)."""
    from tiny_viton import make_tiny_viton

    root = make_tiny_viton(root, 4)
    points = np.zeros((18, 3))
    points[:, 2] = 0.9
    for i, xy in {2: (60, 150), 3: (40, 200), 4: (35, 245), 5: (130, 150), 6: (150, 200), 7: (155, 245),
                  8: (70, 250), 11: (120, 250)}.items():
        points[i, :2] = xy
    for path in (root / "train" / "pose").glob("*.json"):
        path.write_text(json.dumps({"people": [{"pose_keypoints": points.ravel().tolist()}]}))
    return root


def test_two_training_steps_and_export(tmp_path):
    from tryon.data import GarmentDataset
    from tryon.data.layout import find_layout
    from tryon.data.sleeves import sleeve_reach_labels
    from tryon.training import TrainOptions, train
    from tryon.training.sleeve_task import SleeveDataset, SleeveTask

    layout = find_layout(_tiny_viton_with_poses(tmp_path / "viton"))
    kinds = {g: kind_of(r) for g, r in sleeve_reach_labels(layout, tmp_path / "cache", progress=False).items()
             if r is not None}
    assert set(kinds.values()) == {SLEEVE_KINDS.index("long")}
    garments = GarmentDataset(layout, sorted(kinds), size=TINY.resolution, cache_dir=tmp_path / "cache",
                              progress=False)
    task = SleeveTask(SleeveDataset(garments, kinds, edge_jitter=1.0), SleeveDataset(garments, kinds), config=TINY)
    summary = train(task, TrainOptions(run_dir=tmp_path / "run", max_steps=2, batch_size=2, progress=False,
                                       sample_every=2, checkpoint_every=1))
    assert summary["step"] == 2 and (tmp_path / "run" / "samples" / "step_00000002.png").is_file()
    assert SleeveReader.from_pretrained(tmp_path / "run" / "export" / "sleeve-reader").config == TINY


def test_eval_sleeves_scores_the_held_out_garments(tmp_path):
    from tryon.eval_sleeves import evaluate_sleeves

    root = _tiny_viton_with_poses(tmp_path / "viton")
    report = evaluate_sleeves(root, n_val=2, out=tmp_path / "eval.json", progress=False)
    viton = report["viton"]
    assert viton["garments"] == 2 and viton["truth"] == {"long": 2}
    for reading in ("keypoints", "reader", "combined"):
        assert viton[reading]["told"] + viton[reading]["untold"] == 2
        assert 0.0 <= viton[reading]["accuracy"] <= 1.0
    assert json.loads((tmp_path / "eval.json").read_text()) == report


# ------------------------------------------------------------------------------ the bundled reader
@pytest.mark.parametrize("name, kind", [("tshirt_blue.jpg", "short"), ("tshirt_jersey_striped.jpg", "short"),
                                        ("longsleeve_grey_print.jpg", "long"), ("hoodie_blue.jpg", "long")])
def test_the_bundled_reader_reads_the_bundled_garments(name, kind):
    """Photos it never trained on (their senders are held out). ``longsleeve_grey_print.jpg``'s
    sleeves hang beside its body, so its mask shows none: the reader tells them (0.97 long)."""
    from PIL import Image

    from tryon.assets import weights_dir
    from tryon.sleeves import load_reader

    reader = load_reader(weights_dir() / "sleeve-reader")
    prepared = prepare_garment(Image.open(ROOT / "assets" / "examples" / "garments" / name).convert("RGB"),
                               size=C.FRAME_SIZE)
    assert SLEEVE_KINDS[int(np.argmax(read_sleeves(reader, prepared)))] == kind
    assert sleeve_kind(prepared, reader) == kind


def test_a_garment_leaning_long_with_no_long_sleeve_in_its_photo_reads_short():
    """A garment the reader leans long on (0.76), but whose mask shows no sleeve nor the photo one
    hanging beside its body, reads short (a person's arms are bared), not untold (the network then
    painted sleeves in its colour): the bundled camisole as GrabCut cut it out, without its
    straps. The denim shirt leans long as much and its sleeves hang on both sides: long."""
    from PIL import Image

    from tryon.assets import weights_dir
    from tryon.sleeves import HANG_LEAN, MIN_CONFIDENCE, load_reader

    reader = load_reader(weights_dir() / "sleeve-reader")
    for name, kind in (("top_cami_grey.jpg", "short"), ("shirt_denim.jpg", "long")):
        prepared = prepare_garment(Image.open(ROOT / "assets" / "examples" / "garments" / name).convert("RGB"),
                                   size=C.FRAME_SIZE, cutter=None)
        p_long = float(read_sleeves(reader, prepared)[SLEEVE_KINDS.index("long")])
        assert HANG_LEAN <= p_long < MIN_CONFIDENCE  # the rule, not the reader alone, decides
        assert sleeve_kind(prepared, reader) == kind, name


def test_a_camisole_cut_out_with_its_straps_reads_sleeveless_though_the_reader_leans_long():
    """The bundled camisole as the garment cutter cuts it out, straps and all: the reader
    (trained on cut-outs without straps) leans long past its confidence, but two thin straps
    say there is no sleeve."""
    from PIL import Image

    from tryon.assets import weights_dir
    from tryon.sleeves import MIN_CONFIDENCE, load_reader

    reader = load_reader(weights_dir() / "sleeve-reader")
    prepared = prepare_garment(Image.open(ROOT / "assets" / "examples" / "garments" / "top_cami_grey.jpg")
                               .convert("RGB"), size=C.FRAME_SIZE)
    assert prepared.method == "learned"
    assert float(read_sleeves(reader, prepared)[SLEEVE_KINDS.index("long")]) >= MIN_CONFIDENCE
    assert sleeve_kind(prepared, reader) == "sleeveless"


