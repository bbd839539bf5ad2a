"""MediaPipe pose on real photos, upper-body checks, and landmark maps."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from PIL import Image

from images import astronaut
from tryon import constants as C
from tryon.errors import NoPersonError, PoseError
from tryon.pose import PoseResult, check_upper_body, detect_pose, draw_pose, face_boxes, heatmaps, limb_maps


@pytest.fixture(scope="module")
def astro_pose():
    return detect_pose(astronaut())


def test_astronaut_landmarks_where_a_person_sees_them(astro_pose):
    px = astro_pose.pixels()
    assert astro_pose.image_size == (512, 512)
    assert astro_pose.landmarks.shape == (33, 3) and astro_pose.landmarks.dtype == np.float32
    # Her face spans about x 160..290, y 40..200; the nose tip is at about (222, 128).
    nose = px[C.NOSE]
    assert 195 < nose[0] < 250 and 105 < nose[1] < 150 and nose[2] > 0.9
    for eye in (C.LEFT_EYE, C.RIGHT_EYE):
        assert 180 < px[eye, 0] < 270 and 85 < px[eye, 1] < 135
    # Shoulders: hers are at about (110, 240) (her right, image-left) and (305, 255).
    r, l = px[C.RIGHT_SHOULDER], px[C.LEFT_SHOULDER]
    assert 80 < r[0] < 150 and 200 < r[1] < 290 and r[2] > 0.9
    assert 270 < l[0] < 340 and 200 < l[1] < 290 and l[2] > 0.9
    # The person mask covers her chest and not the flag or the sky behind her.
    assert astro_pose.mask.shape == (512, 512)
    assert astro_pose.mask[330, 200] > 0.5
    assert astro_pose.mask[20, 20] < 0.1 and astro_pose.mask[60, 470] < 0.1
    assert astro_pose.people == 1 and astro_pose.warnings == []


def test_waist_up_portrait_passes_the_upper_body_check(astro_pose):
    check_upper_body(astro_pose)  # hips are just below the frame: a portrait, not an error


def test_no_person_in_a_landscape():
    from skimage import data

    with pytest.raises(NoPersonError, match="couldn't find a person"):
        detect_pose(data.coffee())


def test_face_only_crop_is_refused():
    face = astronaut().crop((130, 30, 320, 200)).resize((380, 340))
    with pytest.raises((PoseError, NoPersonError)) as info:
        check_upper_body(detect_pose(face))
    assert str(info.value).endswith(".") and "\n" not in str(info.value)


def test_hidden_hips_inside_the_photo_are_refused(astro_pose):
    lm = astro_pose.landmarks.copy()
    lm[[C.LEFT_HIP, C.RIGHT_HIP], 1] = 0.7   # well inside the photo...
    lm[[C.LEFT_HIP, C.RIGHT_HIP], 2] = 0.05  # ...yet invisible
    with pytest.raises(PoseError, match="hidden"):
        check_upper_body(PoseResult(lm, astro_pose.mask, astro_pose.image_size))


def test_invisible_shoulder_is_refused(astro_pose):
    lm = astro_pose.landmarks.copy()
    lm[C.LEFT_SHOULDER, 2] = 0.1
    with pytest.raises(PoseError, match="shoulders"):
        check_upper_body(PoseResult(lm, astro_pose.mask, astro_pose.image_size))


def test_several_people_takes_the_most_prominent_and_warns():
    big = astronaut()
    small = big.resize((300, 300))
    canvas = Image.new("RGB", (900, 512), (200, 200, 200))
    canvas.paste(small, (0, 212))
    canvas.paste(big, (388, 0))
    pose = detect_pose(canvas)
    assert pose.people >= 2
    assert any("people" in w for w in pose.warnings)
    nose = pose.pixels()[C.NOSE]
    assert 388 + 195 < nose[0] < 388 + 250  # the big astronaut's nose, not the small one's


def test_one_graph_is_safe_from_many_threads(astro_pose):
    img = np.asarray(astronaut())
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: detect_pose(img), range(8)))
    for r in results:
        np.testing.assert_allclose(r.landmarks, astro_pose.landmarks, atol=1e-4)


def test_pose_and_faces_run_side_by_side_from_many_threads(astro_pose):
    """Each graph has its own lock: a person's pose and a garment photo's faces from several
    threads at once give what each gives alone."""
    img = np.asarray(astronaut())
    faces = face_boxes(img)
    with ThreadPoolExecutor(4) as pool:
        jobs = [pool.submit(detect_pose if i % 2 else face_boxes, img) for i in range(8)]
        results = [job.result(timeout=120) for job in jobs]
    for i, r in enumerate(results):
        if i % 2:
            np.testing.assert_allclose(r.landmarks, astro_pose.landmarks, atol=1e-4)
        else:
            np.testing.assert_allclose(r, faces, atol=1e-4)


def test_heatmaps_peak_at_the_landmark_scaled_by_visibility():
    lm = torch.zeros(2, 33, 3)
    lm[:, :, :2] = 0.5
    lm[0, C.NOSE] = torch.tensor([0.25, 0.75, 0.8])
    maps = heatmaps(lm, (64, 48))
    assert maps.shape == (2, len(C.POSE_MAP_LANDMARKS), 64, 48)
    nose = maps[0, C.POSE_MAP_LANDMARKS.index(C.NOSE)]
    y, x = divmod(int(nose.argmax()), 48)
    assert (x, y) == (12, 48)
    assert nose.max().item() == pytest.approx(0.8, abs=1e-5)
    assert maps[1].max().item() == 0.0  # visibility 0 everywhere in the second sample


def test_limb_maps_follow_the_segment():
    lm = torch.zeros(1, 33, 3)
    lm[0, C.LEFT_SHOULDER] = torch.tensor([0.2, 0.5, 1.0])
    lm[0, C.RIGHT_SHOULDER] = torch.tensor([0.8, 0.5, 1.0])
    maps = limb_maps(lm, (100, 100))
    ch = maps[0, C.POSE_LIMBS.index((C.LEFT_SHOULDER, C.RIGHT_SHOULDER))]
    assert ch[50, 50].item() == pytest.approx(1.0)
    assert ch[50, 10].item() < 0.01 and ch[20, 50].item() < 0.01
    assert maps.shape == (1, len(C.POSE_LIMBS), 100, 100)


def test_limb_maps_far_from_a_limb_are_exactly_zero_not_subnormal():
    # Subnormal floats slow exp and the network's convolutions several times over on a CPU.
    lm = torch.zeros(1, 33, 3)
    lm[0, C.LEFT_SHOULDER] = torch.tensor([0.45, 0.5, 1.0])
    lm[0, C.RIGHT_SHOULDER] = torch.tensor([0.55, 0.5, 1.0])
    ch = limb_maps(lm, (256, 192))[0, C.POSE_LIMBS.index((C.LEFT_SHOULDER, C.RIGHT_SHOULDER))]
    tiny = torch.finfo(torch.float32).tiny
    assert ((ch == 0) | (ch >= tiny)).all()
    assert (ch == 0).float().mean() > 0.5 and ch.max().item() == pytest.approx(1.0)


def test_heatmaps_far_from_a_landmark_are_exactly_zero_not_subnormal():
    lm = torch.zeros(1, 33, 3)
    lm[0, :, :2], lm[0, :, 2] = 0.5, 0.3
    maps = heatmaps(lm, (256, 192))
    tiny = torch.finfo(torch.float32).tiny
    assert ((maps == 0) | (maps >= tiny)).all()
    assert (maps == 0).float().mean() > 0.5 and maps.max().item() == pytest.approx(0.3)


def test_draw_pose_returns_an_overlay(astro_pose):
    img = astronaut()
    out = draw_pose(img, astro_pose)
    assert out.size == img.size and out.mode == "RGB"
    assert np.abs(np.asarray(out, np.int16) - np.asarray(img, np.int16)).max() > 100


def test_back_view_is_refused(astro_pose):
    lm = astro_pose.landmarks.copy()
    lm[[C.LEFT_SHOULDER, C.RIGHT_SHOULDER]] = lm[[C.RIGHT_SHOULDER, C.LEFT_SHOULDER]]
    with pytest.raises(PoseError, match="sideways or away"):
        check_upper_body(PoseResult(lm, astro_pose.mask, astro_pose.image_size))
