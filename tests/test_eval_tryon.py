"""`tryon eval` (the try-on) on the tiny generated VITON folder, and its measuring pieces."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from tiny_viton import BROKEN, COLOURS, make_tiny_viton
from tryon import metrics as M
from tryon.cli import build_parser, cmd_eval_body_vae, cmd_eval_garment_vae, cmd_eval_tryon, main
from tryon.data import find_layout
from tryon.errors import TryOnError
from tryon.eval_tryon import (EVAL_SIZE, MIN_COLOUR_DELTA_E, TORSO_LABELS, colour_transfer, eval_tryon,
                              lab_colour, plan_unpaired, read_eval_pairs)

RED, BLUE, GREEN = COLOURS[0], COLOURS[1], COLOURS[2]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_viton(tmp_path_factory.mktemp("viton") / "viton", 5)


@pytest.fixture(scope="module")
def report(tiny, tmp_path_factory):
    """One baseline run on a pairs file: two good pairs and the unreadable person photo."""
    out = tmp_path_factory.mktemp("eval")
    pairs = out / "pairs.txt"
    pairs.write_text(f"# two pairs and a broken photo\n000001_0.jpg 000001_1.jpg\n\n"
                     f"000002_0.jpg 000002_1.jpg\n{BROKEN} 000003_1.jpg\n")
    assert main(["eval", "--data", str(tiny), "--pairs", str(pairs), "--mode", "baseline",
                 "-o", str(out / "r.json")]) == 0
    return json.loads((out / "r.json").read_text()), out


def _error_lines(capsys) -> list[str]:
    return [l for l in capsys.readouterr().err.splitlines() if l.startswith("error:")]


def test_report_keys_ranges_and_counts(report):
    r, _ = report
    assert r["mode"] == "baseline" and r["pairs"] == 3
    for key in ("refused", "paired", "paired_median", "unpaired", "seconds_per_pair", "grid", "per_pair"):
        assert key in r
    p = r["paired"]
    assert p["evaluated"] == 2 and p["refused"] == 1 and p["region_evaluated"] == 2 and p["unchanged"] == 0
    assert -1 <= p["ssim"] <= 1 and -1 <= p["region_ssim"] <= 1
    assert p["region_ssim"] < p["ssim"] < 1, "the repainted region differs more than the whole photo"
    assert 0 < p["l1"] < p["region_l1"] <= 1 and 0 < p["psnr"] < 100
    assert set(r["paired_median"]) == {"ssim", "psnr", "l1", "region_ssim", "region_l1"}
    u = r["unpaired"]
    assert u["evaluated"] + u["skipped"] + u["refused"] == r["pairs"]
    assert u["evaluated"] == 2 and 0 <= u["transfer"] <= 1 and 0 <= u["untouched_transfer"] <= 1
    assert [x["person"] for x in r["refused"]] == [BROKEN]
    assert r["refused"][0]["kind"] == "paired" and r["refused"][0]["error"].startswith("The person photo")
    assert r["seconds_per_pair"] > 0 and r["resolution"] == list(EVAL_SIZE)
    assert len(r["per_pair"]["paired"]) == 2 and len(r["per_pair"]["unpaired"]) == 2


def test_grid_is_written_beside_the_json(report):
    r, out = report
    grid = out / "r-grid.png"
    assert r["grid"] == str(grid) and grid.is_file()
    h, w = EVAL_SIZE
    with Image.open(grid) as img:
        assert img.width == 4 * w and img.height > 4 * h  # 2 paired + 2 unpaired rows and captions


def test_default_pairs_are_the_validation_split(tiny, tmp_path, capsys):
    out = tmp_path / "v.json"
    assert main(["eval", "--data", str(tiny), "--val-pairs", "2", "--limit", "1", "--mode", "baseline",
                 "-o", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["pairs"] == 1 and r["per_pair"]["paired"][0]["person"] == "000004_0.jpg"
    assert "validation" in r["pairs_file"] and "SSIM" in capsys.readouterr().out
    # the tiny set has fewer than the 500 held-out pairs of the fixed split
    assert main(["eval", "--data", str(tiny), "--mode", "baseline", "-o", str(out)]) == 1
    assert len(_error_lines(capsys)) == 1


def test_the_test_portion_is_the_pairs_just_before_the_validation_split(tiny, tmp_path, monkeypatch, capsys):
    import tryon.eval_tryon.pairs as pairs_module
    from tryon.data.split import test_pairs

    # (the tiny set has 5 pairs: the last 2 validation, the 2 before them the test portion)
    monkeypatch.setattr(pairs_module, "test_pairs", lambda layout, n_val: test_pairs(layout, n_val, 2))
    out = tmp_path / "t.json"
    assert main(["eval", "--data", str(tiny), "--val-pairs", "2", "--portion", "test", "--mode", "baseline",
                 "-o", str(out)]) == 0
    r = json.loads(out.read_text())
    assert [p["person"] for p in r["per_pair"]["paired"]] == ["000002_0.jpg", "000003_0.jpg"]
    assert "test portion" in r["pairs_file"]
    # a pairs file of one's own and a held-out portion: one sentence, nothing written
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("000001_0.jpg 000001_1.jpg\n")
    out.unlink()
    assert main(["eval", "--data", str(tiny), "--pairs", str(pairs), "--portion", "test", "-o", str(out)]) == 1
    lines = _error_lines(capsys)
    assert len(lines) == 1 and "--portion" in lines[0] and not out.exists()


PAIRS_TEXT = {  # what the pairs file holds in each bad case (None: it does not exist)
    "no-pairs-file": None,
    "bad-line": "000001_0.jpg 000001_1.jpg\n000002_0.jpg\n",
    "unknown-garment": "000001_0.jpg 000001_1.jpg\n000002_0.jpg nope_1.jpg\n",
    "empty": "# nothing\n",
    "suffix": "000001_0.jpg 000001_1.jpg\n",
}
EXPECTED = {"no-data": "does not exist", "not-viton": "not a VITON-style", "no-pairs-file": "couldn't read",
            "bad-line": "Line 2", "unknown-garment": "nope_1.jpg", "empty": "holds no pairs", "suffix": ".json"}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_bad_data_or_pairs_prints_one_error_and_exits_1(case, tiny, tmp_path, capsys):
    data = {"no-data": tmp_path / "missing", "not-viton": tmp_path}.get(case, tiny)
    out = tmp_path / ("r.txt" if case == "suffix" else "r.json")
    args = ["eval", "--data", str(data), "--mode", "baseline", "-o", str(out)]
    if case in PAIRS_TEXT:
        pairs = tmp_path / "pairs.txt"
        if PAIRS_TEXT[case] is not None:
            pairs.write_text(PAIRS_TEXT[case])
        args += ["--pairs", str(pairs)]
    assert main(args) == 1
    lines = _error_lines(capsys)
    assert len(lines) == 1 and EXPECTED[case] in lines[0], lines
    assert not out.exists() and not (tmp_path / "r-grid.png").exists()


def test_missing_data_is_a_usage_error_and_vae_evals_still_parse():
    with pytest.raises(SystemExit) as exit_info:
        main(["eval"])
    assert exit_info.value.code == 2
    parser = build_parser()
    assert parser.parse_args(["eval", "--data", "d"]).func is cmd_eval_tryon
    args = parser.parse_args(["eval", "garment-vae", "--data", "d", "--out", "x.json"])
    assert args.func is cmd_eval_garment_vae and str(args.data) == "d" and str(args.out) == "x.json"
    assert parser.parse_args(["eval", "body-vae", "--data", "d"]).func is cmd_eval_body_vae
    args = parser.parse_args(["eval", "--data", "d", "--pairs", "p.txt", "--mode", "baseline",
                              "-o", "o.json", "--limit", "3", "--seed", "7"])
    assert (args.mode, args.limit, args.seed, str(args.output)) == ("baseline", 3, 7, "o.json")


def test_read_eval_pairs_skips_comments_and_blank_lines(tiny, tmp_path):
    layout = find_layout(tiny)
    pairs = tmp_path / "p.txt"
    pairs.write_text("# header\n\n000001_0.jpg 000002_1.jpg\n  000003_0.jpg   000003_1.jpg  \n")
    assert read_eval_pairs(pairs, layout) == [("000001_0.jpg", "000002_1.jpg"), ("000003_0.jpg", "000003_1.jpg")]
    pairs.write_text("000001_0.jpg 000001_1.jpg extra\n")
    with pytest.raises(TryOnError, match="Line 1"):
        read_eval_pairs(pairs, layout)


class _FakePipe:
    """Stands in for the try-on: returns the photo untouched, or with its torso painted in the
    garment's colour (read off the garment photo's centre)."""

    def __init__(self, layout, paint: bool):
        self.layout, self.paint, self.calls = layout, paint, []

    def __call__(self, person, garment, *, mode):
        self.calls.append((person.name, garment.name, mode))
        photo = np.asarray(Image.open(person).convert("RGB")).copy()
        if self.paint:
            labels = np.asarray(Image.open(self.layout.parse / f"{person.stem}.png"))
            photo[np.isin(labels, TORSO_LABELS)] = np.asarray(Image.open(garment).convert("RGB"))[180, 96]
        return SimpleNamespace(image=Image.fromarray(photo))


@pytest.mark.parametrize("paint", [False, True])
def test_the_measure_itself_with_fake_renderers(paint, tiny, tmp_path):
    """Doing nothing: perfect paired figures, all unchanged, no transfer. Painting the torso in the
    target's colour: every unpaired pair transferred."""
    layout = find_layout(make_tiny_viton(tmp_path / "viton", 5))
    pairs = [(f"{i:06d}_0.jpg", f"{i:06d}_1.jpg") for i in range(1, 6)]
    for i, (person, _) in enumerate(pairs):  # dress each person in their own garment's colour
        photo = np.asarray(Image.open(layout.image / person)).copy()
        labels = np.asarray(Image.open(layout.parse / f"{Path(person).stem}.png"))
        photo[np.isin(labels, TORSO_LABELS)] = COLOURS[i]
        Image.fromarray(photo).save(layout.image / person, quality=95)
    pipe = _FakePipe(layout, paint)
    r = eval_tryon(pipe, layout, pairs, mode="fake", out_dir=tmp_path, seed=3, progress=False)
    assert all(m == "fake" for *_, m in pipe.calls) and len(pipe.calls) == 10
    assert all(p != g.replace("_1", "_0") for p, g, _ in pipe.calls[5:]), "unpaired: another pair's garment"
    assert (tmp_path / "eval-tryon-fake-grid.png").is_file()
    p, u = r["paired"], r["unpaired"]
    assert u["evaluated"] == 5 and u["untouched_transfer"] == 0.0
    if not paint:
        assert p["ssim"] == pytest.approx(1.0) and p["region_l1"] == 0.0 and p["psnr"] == 100.0
        assert p["unchanged"] == u["unchanged"] == 5 and u["transfer"] == 0.0
    else:
        assert p["region_ssim"] < p["ssim"] < 1 and p["unchanged"] == 0
        assert u["transfer"] == 1.0


def _lab(rgb) -> np.ndarray:
    return lab_colour(np.full((16, 16, 3), rgb, np.uint8), np.ones((16, 16), bool))


def test_colour_decision_on_synthetic_images():
    original, target = _lab(RED), _lab(BLUE)
    torso = np.zeros((64, 48), bool)
    torso[20:60, 8:40] = True
    person = np.full((64, 48, 3), 230, np.uint8)  # light background, garment in the torso
    like_target, like_original = person.copy(), person.copy()
    like_target[torso] = (np.array(BLUE) * 0.8).astype(np.uint8)       # shaded, still blue
    like_original[torso] = RED
    assert colour_transfer(like_target, torso, original, target) is True
    assert colour_transfer(like_original, torso, original, target) is False
    half = like_original.copy()  # the target painted over a third of the torso: the median stays red
    half[20:33, 8:40] = BLUE
    assert colour_transfer(half, torso, original, target) is False
    assert colour_transfer(like_target.astype(np.float32) / 255, torso, original, target) is True
    assert colour_transfer(like_target, np.zeros_like(torso), original, target) is None
    # Lab: L in [0, 100]; white is L 100, a = b = 0
    np.testing.assert_allclose(_lab((255, 255, 255)), [100, 0, 0], atol=0.5)


def test_unpaired_plan_is_a_seeded_derangement_of_clearly_different_colours():
    colours = [_lab(c) for c in (RED, BLUE, GREEN, RED, (205, 35, 45), BLUE)]
    garments = [f"{i}_1.jpg" for i in range(len(colours))]
    plan = plan_unpaired(colours, garments, seed=0)
    assert plan == plan_unpaired(colours, garments, seed=0)
    assert all(t is not None and t != i for i, t in enumerate(plan))
    assert len(set(plan)) == len(plan), "every garment is used once"
    for i, t in enumerate(plan):
        assert np.linalg.norm(colours[i] - colours[t]) > MIN_COLOUR_DELTA_E
    # nobody can be matched when every garment is about the same red, or its colour is unknown
    assert plan_unpaired([_lab(RED), _lab((205, 35, 45)), None], ["a", "b", "c"]) == [None, None, None]
    assert plan_unpaired([_lab(RED)], ["a"]) == [None]


def test_masked_ssim():
    rng = np.random.default_rng(0)
    a = rng.random((32, 24, 3)).astype(np.float32)
    b = a.copy()
    b[:, 12:] = rng.random((32, 12, 3))
    left = np.zeros((32, 24), bool)
    left[:, :4] = True
    right = ~left
    right[:, :14] = False
    assert M.masked_ssim(a, b, left) == pytest.approx(1.0, abs=1e-6)
    assert M.masked_ssim(a, b, right) < 0.5
    everywhere = np.ones((32, 24))
    assert M.masked_ssim(a, b, everywhere) == pytest.approx(M.ssim(a, b), abs=1e-6)
    smap = M.ssim_map(a, b)
    assert M.masked_ssim(a, b, right) == pytest.approx(smap[right].mean(), abs=1e-6)
    import torch

    batch_a = torch.from_numpy(a).permute(2, 0, 1)[None]
    batch_b = torch.from_numpy(b).permute(2, 0, 1)[None]
    mask = torch.from_numpy(left)[None, None]
    assert M.masked_ssim(batch_a, batch_b, mask) == pytest.approx(1.0, abs=1e-6)
    assert math.isnan(M.masked_ssim(a, b, np.zeros((32, 24))))


def test_one_pairs_reader_for_data_sets_batch_and_eval(tiny, tmp_path):
    """The data sets, `tryon batch` and `tryon eval` read pairs files through tryon.pairs alike."""
    from tryon.data import read_pairs_file
    from tryon.pairs import read_pairs

    layout = find_layout(tiny)
    path = tmp_path / "p.txt"
    path.write_text("# header\n\n000001_0.jpg 000002_1.jpg\n  000003_0.jpg   000003_1.jpg  \n000004_0.jpg\n")
    pairs, bad = read_pairs(path)
    assert pairs == [("000001_0.jpg", "000002_1.jpg"), ("000003_0.jpg", "000003_1.jpg")]
    assert [(line.number, line.text) for line in bad] == [(5, "000004_0.jpg")]
    assert read_pairs_file(path) == pairs  # the data sets skip a line of one name
    with pytest.raises(TryOnError, match="Line 5 of .* not '000004_0.jpg'"):
        read_eval_pairs(path, layout)
    path.write_bytes(b"\xff\xfe\x00 not text")
    with pytest.raises(TryOnError, match="couldn't read the pairs file .* one 'person garment' pair"):
        read_pairs(path)
    with pytest.raises(TryOnError, match="one 'person.jpg garment.jpg' pair"):
        read_eval_pairs(path, layout)
