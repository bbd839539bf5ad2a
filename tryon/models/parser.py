"""The body parser: a small U-Net that labels every pixel of a person photo.

It is trained on VITON's own parse maps (LIP labels, :mod:`tryon.data.parsing`) and predicts a
reduced set of classes (:data:`PARSER_CLASSES`): LIP classes that VITON's maps hardly use, or that
the try-on treats alike, are merged into one of their ids (hat into hair, sunglasses into face,
scarf into upper clothes, jumpsuit into pants, glove into the arm, socks into the leg). The map it
returns speaks LIP ids (:func:`class_to_lip`), so it compares directly with VITON's.

Layout: a stride-2 stem, four stride-2 stages with residual blocks (down to 1/32), a decoder that
upsamples and adds the skip of each scale, and a 1x1 head at 1/2 resolution whose logits are
resized bilinearly to the input size. BatchNorm, not GroupNorm: :meth:`BodyParser.fused` folds it
into the convolutions for inference (with channels-last memory, about 1.5x faster on a CPU).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tryon import constants as C
from tryon.hub import PretrainedMixin

__all__ = ["ParserConfig", "BodyParser", "PARSER_CLASSES", "LIP_TO_CLASS", "CLASS_FLIP", "class_to_lip"]

# The classes the parser predicts, as the LIP id each one is written with (index = class).
PARSER_CLASSES = (
    C.LIP_BACKGROUND, C.LIP_HAIR, C.LIP_UPPER_CLOTHES, C.LIP_DRESS, C.LIP_COAT, C.LIP_PANTS,
    C.LIP_SKIRT, C.LIP_FACE, C.LIP_LEFT_ARM, C.LIP_RIGHT_ARM, C.LIP_LEFT_LEG, C.LIP_RIGHT_LEG,
    C.LIP_LEFT_SHOE, C.LIP_RIGHT_SHOE,
)
_MERGED = {C.LIP_HAT: C.LIP_HAIR, C.LIP_SUNGLASSES: C.LIP_FACE, C.LIP_SCARF: C.LIP_UPPER_CLOTHES,
           C.LIP_JUMPSUIT: C.LIP_PANTS, C.LIP_GLOVE: C.LIP_LEFT_ARM, C.LIP_SOCKS: C.LIP_LEFT_LEG}
# LIP id (0..19) -> parser class. Gloves and socks carry no side in LIP's maps at VITON's scale;
# they join the left limb, and a flip during training spreads them over both sides.
LIP_TO_CLASS = tuple(PARSER_CLASSES.index(_MERGED.get(lip, lip)) for lip in range(C.LIP_NUM_LABELS))
# Mirror image: class i becomes CLASS_FLIP[i] (left and right arms, legs and shoes swap).
_LIP_FLIP = {C.LIP_LEFT_ARM: C.LIP_RIGHT_ARM, C.LIP_LEFT_LEG: C.LIP_RIGHT_LEG,
             C.LIP_LEFT_SHOE: C.LIP_RIGHT_SHOE}
_LIP_FLIP.update({v: k for k, v in _LIP_FLIP.items()})
CLASS_FLIP = tuple(PARSER_CLASSES.index(_LIP_FLIP.get(lip, lip)) for lip in PARSER_CLASSES)


def class_to_lip(classes: torch.Tensor) -> torch.Tensor:
    """Parser classes ``(...)`` int64 -> LIP ids ``(...)`` uint8."""
    table = torch.tensor(PARSER_CLASSES, dtype=torch.uint8, device=classes.device)
    return table[classes]


@dataclass
class ParserConfig:
    """Size of the parser. The defaults are the shipped model (1.65 M parameters)."""

    num_classes: int = len(PARSER_CLASSES)
    channels: tuple[int, ...] = (16, 32, 48, 96, 160)  # encoder width at 1/2, 1/4, 1/8, 1/16, 1/32
    blocks: tuple[int, ...] = (0, 1, 2, 2, 2)          # residual blocks per scale
    decoder_channels: tuple[int, ...] = (32, 48, 64)   # decoder width from the finest scale it
                                                       # reaches (1/4) to 1/16
    resolution: tuple[int, int] = C.FRAME_SIZE         # (H, W) it is trained and run at


def _conv_bn(cin: int, cout: int, stride: int = 1, kernel: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _Residual(nn.Module):
    """``relu(x + bn(conv(relu(bn(conv(x))))))``: ``(B, C, H, W) -> (B, C, H, W)``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv_bn(channels, channels)
        self.conv2 = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.conv2(self.conv1(x)), inplace=True)


def _fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """``bn(conv(x))`` as one convolution (eval-mode statistics)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=True)
    fused.weight.copy_(conv.weight * scale[:, None, None, None])
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
    return fused


class BodyParser(PretrainedMixin, nn.Module):
    """Photo -> per-pixel class logits.

    Shape:
        - Input: ``(B, 3, H, W)`` RGB in ``[-1, 1]``; ``H`` and ``W`` multiples of 32 (the frame,
          256x192, is).
        - Output: ``(B, num_classes, H, W)`` logits; ``argmax(1)`` indexes :data:`PARSER_CLASSES`.
    """

    config_class = ParserConfig

    def __init__(self, config: ParserConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or ParserConfig()
        if len(config.channels) != len(config.blocks):
            raise ValueError("channels and blocks need one entry per scale")
        stages, cin = [], 3
        for cout, n in zip(config.channels, config.blocks):
            stages.append(nn.Sequential(_conv_bn(cin, cout, stride=2), *[_Residual(cout) for _ in range(n)]))
            cin = cout
        self.stages = nn.ModuleList(stages)
        # The decoder climbs from the coarsest scale back up len(decoder_channels) scales; the
        # head's logits at that scale are resized to the input.
        d = config.decoder_channels
        if not 1 <= len(d) < len(config.channels):
            raise ValueError("decoder_channels needs 1 to len(channels) - 1 entries")
        used = config.channels[len(config.channels) - len(d) - 1:]
        outs = (*d, d[-1])  # the coarsest scale enters the decoder at the next one's width
        self.lateral = nn.ModuleList(_conv_bn(c, o, kernel=1) for c, o in zip(used, outs))
        # Narrowing happens at the coarse scale, before upsampling: cheap.
        self.narrow = nn.ModuleList(nn.Conv2d(outs[i + 1], outs[i], 1, bias=False) for i in range(len(d)))
        self.fuse = nn.ModuleList(_conv_bn(o, o) for o in d)
        self.head = nn.Conv2d(d[0], config.num_classes, 1)

    @torch.no_grad()
    def fused(self) -> "BodyParser":
        """An inference copy with every BatchNorm folded into the convolution before it, in
        channels-last memory: the same outputs (to float rounding), less time."""
        model = copy.deepcopy(self).eval()
        for seq in model.modules():
            if isinstance(seq, nn.Sequential) and len(seq) >= 2 and isinstance(seq[0], nn.Conv2d) \
                    and isinstance(seq[1], nn.BatchNorm2d):
                seq[0] = _fold(seq[0], seq[1])
                seq[1] = nn.Identity()
        return model.to(memory_format=torch.channels_last)

    @torch.no_grad()
    def frozen(self) -> nn.Module:
        """:meth:`fused`, traced at the configured resolution and frozen by TorchScript (convolutions
        and ReLUs fused, weights packed for the CPU): the same outputs, less time. TorchScript is
        deprecated in recent PyTorch; when tracing fails this returns :meth:`fused` unchanged."""
        model = self.fused()
        x = torch.zeros(1, 3, *self.config.resolution).contiguous(memory_format=torch.channels_last)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")                  # the deprecation notices
                return torch.jit.freeze(torch.jit.trace(model, x, check_trace=False))
        except Exception:                                      # noqa: BLE001 - eager still works
            return model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        skips = []
        for stage in self.stages:
            x = stage(x)
            skips.append(x)
        skips = skips[len(skips) - len(self.lateral):]
        y = self.lateral[-1](skips[-1])
        for i in range(len(skips) - 2, -1, -1):       # finer and finer: upsample, add the skip, fuse
            y = F.interpolate(self.narrow[i](y), size=skips[i].shape[-2:], mode="bilinear", align_corners=False)
            y = self.fuse[i](y + self.lateral[i](skips[i]))
        return F.interpolate(self.head(y), size=size, mode="bilinear", align_corners=False)
