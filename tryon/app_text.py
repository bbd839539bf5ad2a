"""The web app's words and looks: step captions, error sentences, header and CSS.

Kept apart from :mod:`gradio_app` so the app module holds only the UI's structure and events.
"""

__all__ = ["STEP_CAPTIONS", "GENERIC_ERROR", "MISSING", "CSS", "HEADER", "BAD_CHOICE",
           "TOO_LARGE", "REQUEST_TOO_LARGE", "NOT_MULTIPART", "TRY_ON_API", "IN_LINE"]

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
# Shown (as an info toast) to a shopper whose try-on has to wait for a free worker.
IN_LINE = "{ahead} try-ons are ahead of yours; yours should start in about {seconds} seconds."
# A value outside its choices (the garment type, the REST endpoint's output format).
BAD_CHOICE = "The {what} must be one of {choices}, not '{value}'."
# The REST endpoint's refusals of the request itself (the photos get tryon.io's sentences).
TOO_LARGE = "The {what} is larger than {megabytes} MB; please upload a smaller photo."
REQUEST_TOO_LARGE = ("The request is larger than two photos of {megabytes} MB each; "
                     "please upload smaller photos.")
NOT_MULTIPART = ("Please send the photos as multipart/form-data, with the person photo in the "
                 "field 'person' and the garment photo in the field 'garment'.")

# The API page's description of /try_on.
TRY_ON_API = ("Dress the person in the garment. garment_type says what the garment photo shows: "
              "'auto' (default), 'flat' (the garment alone) or 'worn' (a person wearing it: the "
              "garment is cut out); with_steps (default false) asks for the intermediate step "
              "images too. Returns the result image (PNG, at the person photo's size), the step "
              "images (empty unless with_steps) and warnings (one per line).")

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
