"""What the wheel holds; the project's metadata and dependencies are in pyproject.toml.

pyproject.toml alone cannot say both of these at once:

* every package is discovered, so a new ``tryon.*`` or ``pipelines.*`` subpackage is never left
  out of the wheel (a wheel without ``tryon.data`` once failed on ``tryon try-on``);
* the top-level ``assets/`` folder (bundled weights and example images) ships as the package data
  ``tryon/_assets``, where :mod:`tryon.assets` finds it when there is no checkout.

``gradio_app.py`` stays a top-level module, as the project's layout requires.
"""

from setuptools import find_packages, setup

ASSETS_PACKAGE = "tryon._assets"

setup(
    packages=find_packages(include=["tryon", "tryon.*", "pipelines", "pipelines.*"]) + [ASSETS_PACKAGE],
    package_dir={ASSETS_PACKAGE: "assets"},
    package_data={ASSETS_PACKAGE: ["**/*"]},
    py_modules=["gradio_app"],
)
