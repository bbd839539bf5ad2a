"""Body parsing: a photo -> a LIP label map at the photo's own size, from the learned parser.

The parser (:class:`~tryon.models.parser.BodyParser`) works in the model frame. :class:`Parser`
runs it on up to two views of a photo and maps its class probabilities back onto the photo's own
pixels (bilinearly, so edges stay smooth on big photos):

1. the person aligned into the frame as for a try-on (:func:`tryon.body.align`): the upper body
   at VITON's scale, where the parser was trained and the try-on works;
2. only when the person reaches outside that frame (a full-body photo): the whole person,
   letterboxed into the frame, for the rest (legs, shoes).

MediaPipe's person mask decides background: where it sees no person, the label is background,
whatever the parser says (busy backgrounds fool a small network more than MediaPipe). Where it
sees a person and the parser says background, the label stays background, as VITON's maps do
for the neck; :attr:`ParseResult.unlabelled` marks those pixels.

Saved maps are palette PNGs whose pixel values are the LIP ids themselves (:func:`label_image`),
so they compare directly with VITON's ``image-parse`` maps; :data:`LIP_PALETTE` colours them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from tryon import constants as C
from tryon.errors import TryOnError
from tryon.tensors import to_tensor

__all__ = ["LIP_PALETTE", "colorize", "label_image", "overlay", "ParseResult", "Parser", "parse", "parse_files",
           "PERSON_THRESHOLD"]

# One RGB colour per LIP id (0..19), the colours of the LIP data set's own visualisations.
LIP_PALETTE = np.array([
    (0, 0, 0), (128, 0, 0), (255, 0, 0), (0, 85, 0), (170, 0, 51), (255, 85, 0), (0, 0, 85),
    (0, 119, 221), (85, 85, 0), (0, 85, 85), (85, 51, 0), (52, 86, 128), (0, 128, 0), (0, 0, 255),
    (51, 170, 221), (0, 255, 255), (85, 255, 170), (170, 255, 85), (255, 255, 0), (255, 170, 0),
], np.uint8)
assert len(LIP_PALETTE) == C.LIP_NUM_LABELS

PERSON_THRESHOLD = 0.5     # MediaPipe segmentation at or above this is the person
WHOLE_VIEW_MARGIN = 0.05   # the whole-person view pads the person's box by this share per side
MAX_GRID_SIDE = 1024       # px: labels are computed on at most this grid, then resized (nearest)
OVERLAY_OPACITY = 0.55     # how strongly a preview tints the photo with the label colours
UINT8_MAX = 255


def colorize(labels: torch.Tensor) -> torch.Tensor:
    """LIP label maps ``(B, H, W)`` (integers 0..19) -> colour pictures ``(B, 3, H, W)`` in ``[0, 1]``."""
    palette = torch.from_numpy(LIP_PALETTE).to(labels.device).float() / UINT8_MAX
    return palette[labels.long()].permute(0, 3, 1, 2)


def label_image(labels: np.ndarray) -> Image.Image:
    """A ``(H, W)`` uint8 LIP map as a palette PNG image (pixel values = LIP ids)."""
    img = Image.fromarray(np.asarray(labels, np.uint8), mode="P")
    img.putpalette(LIP_PALETTE.ravel().tolist())
    return img


def overlay(photo: np.ndarray, labels: np.ndarray, opacity: float = OVERLAY_OPACITY) -> Image.Image:
    """The photo tinted with the label colours (background left as it is): an RGB preview."""
    colours = LIP_PALETTE[labels].astype(np.float32)
    a = np.where(labels > 0, opacity, 0.0)[..., None]
    return Image.fromarray((photo * (1 - a) + colours * a + 0.5).astype(np.uint8))


@dataclass
class ParseResult:
    """One photo's parse.

    Attributes:
        labels: ``(h, w)`` uint8 LIP ids at the photo's own size.
        person: ``(h, w)`` bool, MediaPipe's person mask (at or above :data:`PERSON_THRESHOLD`).
    """

    labels: np.ndarray
    person: np.ndarray

    @property
    def unlabelled(self) -> np.ndarray:
        """``(h, w)`` bool: the person by MediaPipe, background by the parser (mostly the neck)."""
        return self.person & (self.labels == C.LIP_BACKGROUND)


class Parser:
    """The body parser, ready to run: ``Parser.from_pretrained()(photo, pose)``.

    Args:
        model: a trained :class:`~tryon.models.parser.BodyParser` (folded and frozen for inference
            here, :meth:`~tryon.models.parser.BodyParser.frozen`).
    """

    def __init__(self, model) -> None:
        from tryon.models.parser import PARSER_CLASSES

        self.model = model.frozen()
        self.frame_size = tuple(model.config.resolution)
        self._lip = torch.tensor(PARSER_CLASSES, dtype=torch.uint8)
        self._lock = threading.Lock()  # one forward at a time: torch already uses every core

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> "Parser":
        """Load the parser from ``path`` (default: the bundled ``assets/weights/parser``).

        Raises:
            TryOnError: no parser weights there.
        """
        from tryon.assets import weights_dir
        from tryon.models.parser import BodyParser

        folder = Path(path) if path is not None else weights_dir() / "parser"
        if not (folder / "model.safetensors").is_file():
            raise TryOnError(f"No body parser weights in '{folder}'; train them with `tryon train parser` "
                             "or pass the folder that holds them.")
        return cls(BodyParser.from_pretrained(folder))

    @torch.inference_mode()
    def frame_logits(self, frame: np.ndarray) -> torch.Tensor:
        """``(H, W, 3)`` uint8 RGB at the frame size -> ``(1, K, H, W)`` class logits (channels-last)."""
        x = to_tensor(frame)[None].contiguous(memory_format=torch.channels_last)
        with self._lock:
            return self.model(x)

    def frame_probabilities(self, frame: np.ndarray) -> torch.Tensor:
        """``(H, W, 3)`` uint8 RGB at the frame size -> ``(K, H, W)`` class probabilities."""
        return self.frame_logits(frame)[0].float().softmax(0)

    def frame_labels(self, frame: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB at the frame size -> ``(H, W)`` uint8 LIP ids (no MediaPipe).
        The argmax runs along the logits' channels-last layout: no softmax, no copy."""
        return self._lip[self.frame_logits(frame).argmax(1)[0]].numpy()

    def labels_in(self, frame: np.ndarray, person: np.ndarray) -> np.ndarray:
        """LIP ids of an aligned frame of any size: the parser runs at its own frame size
        (bilinear down), its labels are resized back (nearest); background where ``person``
        (``(H, W)`` bool) is False. ``frame``: ``(H, W, 3)`` uint8 RGB."""
        size = frame.shape[:2]
        if size != self.frame_size:
            frame = np.asarray(Image.fromarray(frame).resize(self.frame_size[::-1], Image.BILINEAR))
        labels = self.frame_labels(frame)
        if labels.shape != size:
            labels = np.asarray(Image.fromarray(labels).resize(size[::-1], Image.NEAREST))
        return np.where(person, labels, C.LIP_BACKGROUND).astype(np.uint8)

    def __call__(self, photo: np.ndarray, pose) -> ParseResult:
        """Parse ``photo`` ``(h, w, 3)`` uint8 RGB, given its :class:`~tryon.pose.PoseResult`."""
        from tryon.body import align

        h, w = photo.shape[:2]
        person = pose.mask >= PERSON_THRESHOLD
        labels = np.zeros((h, w), np.uint8)
        ys, xs = np.nonzero(person)
        if xs.size == 0:
            return ParseResult(labels=labels, person=person)
        # Only the person's box is labelled, on a grid of at most MAX_GRID_SIDE pixels a side.
        x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        step = max(1.0, max(x1 - x0, y1 - y0) / MAX_GRID_SIDE)
        gx = x0 + (np.arange(int(np.ceil((x1 - x0) / step))) + 0.5) * step - 0.5
        gy = y0 + (np.arange(int(np.ceil((y1 - y0) / step))) + 0.5) * step - 0.5
        probs, covered = self._view(photo, align(pose, self.frame_size).matrix, gx, gy)
        if not covered.all():                       # the person reaches outside the aligned frame
            p2, c2 = self._view(photo, self._whole_view(x0, y0, x1, y1), gx, gy)
            probs = torch.where(torch.from_numpy(covered)[None], probs, p2)
            covered |= c2
        grid = np.where(covered, self._lip[probs.argmax(0)].numpy(), C.LIP_BACKGROUND).astype(np.uint8)
        labels[y0:y1, x0:x1] = cv2.resize(grid, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
        labels[~person] = C.LIP_BACKGROUND
        return ParseResult(labels=labels, person=person)

    def _view(self, photo: np.ndarray, matrix: np.ndarray, gx: np.ndarray,
              gy: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        """Run the parser on the view ``matrix`` (photo -> frame, ``(2, 3)``) and resample its
        probabilities at the photo points ``gx`` x ``gy``: ``(K, len(gy), len(gx))`` and the bool
        ``(len(gy), len(gx))`` points the view covers."""
        fh, fw = self.frame_size
        interp = cv2.INTER_AREA if _scale(matrix) < 1 else cv2.INTER_LINEAR
        frame = cv2.warpAffine(photo, matrix, (fw, fh), flags=interp, borderMode=cv2.BORDER_REPLICATE)
        probs = self.frame_probabilities(frame)
        xs, ys = np.meshgrid(gx.astype(np.float32), gy.astype(np.float32))
        fx = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
        fy = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
        covered = (fx >= 0) & (fx <= fw - 1) & (fy >= 0) & (fy <= fh - 1)
        # frame pixel -> grid_sample's [-1, 1] (align_corners=False)
        grid = torch.from_numpy(np.stack([(2 * fx + 1) / fw - 1, (2 * fy + 1) / fh - 1], -1).astype(np.float32))
        out = F.grid_sample(probs[None], grid[None], mode="bilinear", padding_mode="border", align_corners=False)
        return out[0], covered

    def _whole_view(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Photo -> frame matrix that letterboxes the person's box (padded) into the frame."""
        fh, fw = self.frame_size
        pad = WHOLE_VIEW_MARGIN * max(x1 - x0, y1 - y0)
        s = min(fw / (x1 - x0 + 2 * pad), fh / (y1 - y0 + 2 * pad))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        return np.array([[s, 0, fw / 2 - s * cx], [0, s, fh / 2 - s * cy]], np.float64)


def _scale(matrix: np.ndarray) -> float:
    return float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))


_DEFAULT: dict[str, Parser] = {}
_DEFAULT_LOCK = threading.Lock()


def _default_parser() -> Parser:
    with _DEFAULT_LOCK:
        if "parser" not in _DEFAULT:
            _DEFAULT["parser"] = Parser.from_pretrained()
        return _DEFAULT["parser"]


def parse(photo: Any, *, parser: Parser | None = None) -> np.ndarray:
    """The LIP label map of a person photo, at the photo's own size.

    Args:
        photo: path, bytes, ``PIL.Image`` or ``(H, W, 3)`` uint8 array of one person.
        parser: a loaded :class:`Parser` (default: the bundled weights, loaded once).

    Returns:
        ``(H, W)`` uint8 LIP ids (0 background, 2 hair, 5 upper clothes, 13 face, ...).

    Raises:
        tryon.TryOnError: the photo cannot be read, or holds no person (one sentence).
    """
    from tryon.io import load_image
    from tryon.pose import detect_pose

    image = np.asarray(load_image(photo, what="person photo"))
    return (parser or _default_parser())(image, detect_pose(image)).labels


def parse_files(photos: list[Path], out_dir: str | Path, *, preview: bool = False,
                parser: Parser | None = None, progress: bool = True) -> tuple[int, list[tuple[str, str]]]:
    """Parse each photo into ``out_dir/<stem>.png`` (a palette PNG of LIP ids at the photo's own
    size) and, with ``preview``, ``out_dir/<stem>-preview.png`` (the photo tinted by label).

    Goes on past photos that cannot be parsed. Each file is written atomically.

    Returns:
        ``(done, failures)``: how many photos were parsed, and ``(photo, sentence)`` per failure.
    """
    from tqdm import tqdm

    from tryon.io import load_image, save_image
    from tryon.pose import detect_pose

    out_dir = Path(out_dir)
    parser = parser or _default_parser()
    done, failures = 0, []
    for photo in tqdm(photos, desc="parse", unit="photo", disable=not progress):
        try:
            image = np.asarray(load_image(photo, what="person photo"))
            result = parser(image, detect_pose(image))
            save_image(label_image(result.labels), out_dir / f"{Path(photo).stem}.png")
            if preview:
                save_image(overlay(image, result.labels), out_dir / f"{Path(photo).stem}-preview.png")
            done += 1
        except TryOnError as err:
            failures.append((str(photo), str(err)))
    return done, failures
