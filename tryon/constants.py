"""Magic numbers, named once: MediaPipe landmark ids, LIP parsing labels, sizes and limits."""

from __future__ import annotations

# --------------------------------------------------------------------------------------
# Model frame. Everything learned works on a person crop of this size (height, width),
# the VITON resolution. ``body.align`` maps any photo into it.
# --------------------------------------------------------------------------------------
FRAME_HEIGHT = 256
FRAME_WIDTH = 192
FRAME_SIZE = (FRAME_HEIGHT, FRAME_WIDTH)

# Where ``body.align`` puts a person in the frame, as fractions of the frame height/width.
# Measured with MediaPipe on 100 VITON training photos (medians): shoulder centre at
# (0.503 W, 0.331 H), shoulder-centre-to-hip-centre length 0.468 H, shoulder width 77.8 px
# vs torso 119.9 px (ratio 0.649). Aligning VITON photos with these is close to identity.
ALIGN_SHOULDER_X = 0.503
ALIGN_SHOULDER_Y = 0.331
ALIGN_TORSO_LENGTH = 0.468
SHOULDER_TO_TORSO = 0.649

# Resolutions of the VAEs (height, width): garments and aligned body silhouettes. 128x96 keeps
# a garment recognisable (logos, stripes, collars) and trains on a 2-core CPU in under an hour.
GARMENT_VAE_SIZE = (128, 96)
BODY_VAE_SIZE = (128, 96)
# Garments the design studio returns (height, width): the try-on frame, whatever the VAE's size.
DESIGN_OUTPUT_SIZE = (256, 192)

# Validation split: the last this-many lines of a pairs file are never trained on.
VALIDATION_PAIRS = 500
# Untouched test portion: the this-many lines just before the validation lines. Trainings that
# pass ``n_test`` leave its persons and garments out; no decision is taken on it.
TEST_PAIRS = 500

# The try-on pipeline's choices (here, so the CLI can offer them without importing torch):
# renderers ("auto": the learned one when its weights are there) and the network's arithmetic
# ("auto": bfloat16 on CPUs with bfloat16 instructions).
RENDER_MODES = ("auto", "learned", "baseline")
NET_PRECISIONS = ("auto", "float32", "bfloat16")
# What decides the repaint region and the skin the learned renderer may keep in it: the body
# parser ("parse") or the pose landmarks with the face-colour skin model ("pose"). "auto": the
# parser when its weights are there.
REGION_SOURCES = ("auto", "parse", "pose")
# What the garment photo shows: the garment alone ("flat"), or worn by a person ("worn", cut out
# with the body parser). "auto": worn when the parser finds a person wearing it.
GARMENT_TYPES = ("auto", "flat", "worn")
# Where the full-resolution composition reads the garment photo: through the network's refined
# warp (its flow on the spline), through the flow's broad fit alone (heavily smoothed: prints keep
# their shape, the garment still follows the network's fit), or through the spline alone (the
# network's composition mask still decides where the garment shows).
GARMENT_WARPS = ("flow", "broad", "spline")
# The default: the bundled network is trained for its broad fit (validation within 0.005 SSIM of
# its raw flow; on shoppers' photos the raw flow's finer bends squeeze prints).
DEFAULT_GARMENT_WARP = "broad"
# What the garment designer samples from: its anchors (between two similar training garments),
# its Gaussian mixture, or N(0, I); "auto": the first of these the designer has.
SAMPLERS = ("auto", "anchors", "mixture", "normal")
SHEET_COLUMNS = 8   # pictures per row of a contact sheet (tryon generate --sheet)

# --------------------------------------------------------------------------------------
# Image loading limits (tryon/io.py).
# --------------------------------------------------------------------------------------
MIN_IMAGE_SIDE = 32            # px: smaller photos hold no usable body or garment
MAX_IMAGE_SIDE = 4096          # px: larger photos are downscaled to this longest side
MAX_IMAGE_PIXELS = 50_000_000  # refuse as a decompression bomb above this many pixels
MAX_FILE_BYTES = 25 * 1024 * 1024  # refuse files larger than this before decoding
MAX_UPLOAD_SIZE = "25mb"       # the same limit for the Gradio app's uploads

# --------------------------------------------------------------------------------------
# MediaPipe Pose: the 33 landmarks, by name. Left/right are the PERSON's left/right, so
# for a person facing the camera LEFT_* appears on the right of the image.
# --------------------------------------------------------------------------------------
NUM_LANDMARKS = 33
NOSE = 0
LEFT_EYE_INNER, LEFT_EYE, LEFT_EYE_OUTER = 1, 2, 3
RIGHT_EYE_INNER, RIGHT_EYE, RIGHT_EYE_OUTER = 4, 5, 6
LEFT_EAR, RIGHT_EAR = 7, 8
MOUTH_LEFT, MOUTH_RIGHT = 9, 10
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_PINKY, RIGHT_PINKY = 17, 18
LEFT_INDEX, RIGHT_INDEX = 19, 20
LEFT_THUMB, RIGHT_THUMB = 21, 22
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX = 31, 32

FACE_LANDMARKS = tuple(range(0, 11))
LEFT_HAND_LANDMARKS = (LEFT_WRIST, LEFT_PINKY, LEFT_INDEX, LEFT_THUMB)
RIGHT_HAND_LANDMARKS = (RIGHT_WRIST, RIGHT_PINKY, RIGHT_INDEX, RIGHT_THUMB)

# The landmarks that become pose heatmap channels (upper body and knees), in channel order.
POSE_MAP_LANDMARKS = (
    NOSE, LEFT_EYE, RIGHT_EYE, LEFT_EAR, RIGHT_EAR,
    LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ELBOW, RIGHT_ELBOW, LEFT_WRIST, RIGHT_WRIST,
    LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE,
)
# Mirror image: POSE_MAP_LANDMARKS channel i becomes channel POSE_MAP_FLIP[i] (left <-> right).
POSE_MAP_FLIP = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13)
# Mirror image of all 33 landmarks: index i becomes LANDMARK_FLIP[i].
LANDMARK_FLIP = (0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19,
                 22, 21, 24, 23, 26, 25, 28, 27, 30, 29, 32, 31)
# The limbs that become limb-map channels, as (landmark, landmark) segments.
POSE_LIMBS = (
    (LEFT_SHOULDER, RIGHT_SHOULDER),
    (LEFT_SHOULDER, LEFT_ELBOW), (LEFT_ELBOW, LEFT_WRIST),
    (RIGHT_SHOULDER, RIGHT_ELBOW), (RIGHT_ELBOW, RIGHT_WRIST),
    (LEFT_SHOULDER, LEFT_HIP), (RIGHT_SHOULDER, RIGHT_HIP), (LEFT_HIP, RIGHT_HIP),
    (LEFT_HIP, LEFT_KNEE), (RIGHT_HIP, RIGHT_KNEE),
)
HEATMAP_SIGMA = 0.02   # Gaussian heatmap std, as a fraction of the frame height
LIMB_WIDTH = 0.015     # limb-map half width, as a fraction of the frame height

# Visibility thresholds for an upper-body try-on.
MIN_SHOULDER_VISIBILITY = 0.5
MIN_HIP_VISIBILITY = 0.3   # hips inside the photo must be at least this visible;
                           # hips predicted below the bottom edge (a waist-up portrait) pass

# --------------------------------------------------------------------------------------
# LIP human-parsing labels of the VITON image-parse maps (supervision only, never input).
# --------------------------------------------------------------------------------------
LIP_BACKGROUND = 0
LIP_HAT = 1
LIP_HAIR = 2
LIP_GLOVE = 3
LIP_SUNGLASSES = 4
LIP_UPPER_CLOTHES = 5
LIP_DRESS = 6
LIP_COAT = 7
LIP_SOCKS = 8
LIP_PANTS = 9
LIP_JUMPSUIT = 10
LIP_SCARF = 11
LIP_SKIRT = 12
LIP_FACE = 13
LIP_LEFT_ARM = 14
LIP_RIGHT_ARM = 15
LIP_LEFT_LEG = 16
LIP_RIGHT_LEG = 17
LIP_LEFT_SHOE = 18
LIP_RIGHT_SHOE = 19
LIP_NUM_LABELS = 20
# What a person wears on the upper body, as the parser labels it: the old garment a try-on replaces.
LIP_UPPER_GARMENT = (LIP_UPPER_CLOTHES, LIP_DRESS, LIP_COAT)
LIP_ARMS = (LIP_LEFT_ARM, LIP_RIGHT_ARM)  # bare arms, as the parser labels them

# The parser's evaluation groups (LIP ids), as the body parser issue defines them: its maps are
# scored on these, so merging classes within a group costs nothing.
PARSE_GROUPS = {
    "background": (LIP_BACKGROUND,),
    "hair": (LIP_HAIR, LIP_HAT),
    "face": (LIP_FACE, LIP_SUNGLASSES),
    "upper clothes": (LIP_UPPER_CLOTHES, LIP_DRESS, LIP_COAT, LIP_SCARF),
    "lower clothes": (LIP_PANTS, LIP_SKIRT, LIP_JUMPSUIT),
    "arms": (LIP_LEFT_ARM, LIP_RIGHT_ARM, LIP_GLOVE),
    "legs": (LIP_LEFT_LEG, LIP_RIGHT_LEG, LIP_LEFT_SHOE, LIP_RIGHT_SHOE, LIP_SOCKS),
}

# RGB -> luma weights (ITU-R BT.601): the one brightness of a colour the shading and the painted
# arms' tones read.
LUMA_RGB = (0.299, 0.587, 0.114)
