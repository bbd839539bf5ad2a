"""`tryon eval rings`: the network's fill of a wider, longer old top's ring, on a tiny generated set."""

from __future__ import annotations

import json

import torch

from tryon.cli import main


def test_eval_rings_scores_the_ring_against_the_photo_and_writes_a_grid(tiny_prepared, tmp_path, capsys):
    root, cache = tiny_prepared
    out = tmp_path / "rings.json"
    threads = torch.get_num_threads()
    assert main(["eval", "rings", "--data", str(root), "--cache", str(cache), "--val-pairs", "2",
                 "--out", str(out)]) == 0
    assert torch.get_num_threads() == threads, "the pairs cache built in this process leaves its threads alone"
    report = json.loads(out.read_text())
    assert report["pairs"] == 2 and report["evaluated"] >= 1
    assert 0 < report["ring_l1"] < 1 and -1 <= report["ring_ssim"] <= 1
    assert 0 < report["region_ssim"] <= 1 and 0 < report["region_ssim_plain"] <= 1
    assert report["ring_pixels"] >= 20
    assert (tmp_path / "rings-grid.png").is_file()
    assert "wrote" in capsys.readouterr().out


def test_eval_rings_without_weights_is_one_sentence(tiny_prepared, tmp_path, capsys):
    root, cache = tiny_prepared
    code = main(["eval", "rings", "--data", str(root), "--weights", str(tmp_path), "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "weights" in err


def test_eval_rings_without_a_landmark_cache_is_one_sentence(tiny_prepared, tmp_path, capsys):
    root, _ = tiny_prepared
    code = main(["eval", "rings", "--data", str(root), "--cache", str(tmp_path / "none"), "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "tryon prepare" in err
    assert not (tmp_path / "none").exists() or not any((tmp_path / "none").iterdir()), "no pairs cache was started"
