"""The web app's words and looks: step captions, error sentences, header and CSS.

Kept apart from :mod:`gradio_app` so the app module holds only the UI's structure and events.
"""

__all__ = ["STEP_CAPTIONS", "GENERIC_ERROR", "MISSING", "CSS", "HEADER"]

# The step images' captions, numbered in the pipeline's order; other steps show their name.
STEP_CAPTIONS = {
    "pose": "Pose: landmarks and person mask",
    "parse": "Body parse: hair, face, clothes, arms and legs",
    "agnostic": "Person without the upper-body garment",
    "garment": "Garment, cut out",
    "warped": "Garment fitted to the body",
}
GENERIC_ERROR = ("Something went wrong on our side while making your try-on; "
                 "please try again, or try other photos.")
MISSING = {
    "person photo": "Please add a photo of yourself first.",
    "garment image": "Please add a garment photo, or pick one of the examples.",
    "chosen garment": "Please choose a garment first: generate some and click one, "
                      "or upload a garment photo.",
    "garment A": "Please fill garment A: choose a garment and press \"Use as A\", or upload one.",
    "garment B": "Please fill garment B: choose a garment and press \"Use as B\", or upload one.",
    "blend": "Please blend two garments first.",
}

# Transparent garments are shown over a light checker; the files keep their alpha.
CSS = """
#tryon-header { text-align: center; }
#tryon-run { max-width: 320px; margin: 0 auto; }
.design-garments img, .design-garment img { background-color: #fff; background-image:
  repeating-conic-gradient(#ececec 0% 25%, #fff 0% 50%); background-size: 16px 16px; }
"""
HEADER = ("# tryon: virtual try-on\nUpload a photo of yourself (head to hips, facing the camera) "
          "and a garment photo (the garment alone, or someone wearing it), or pick an example "
          "garment, then press **Try on**. Your photos "
          "are only used for this request and are deleted from the server within about an "
          "hour. In the **Design** tab you can invent new garments, blend and vary them, and "
          "try them on.")
