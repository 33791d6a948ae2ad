"""Package layout that pyproject.toml cannot state: ``resources/`` stays at the top of the checkout, where the
tools and docs expect it, and wheels and sdists carry it inside the package as ``restorer/resources`` so that
``restorer.paths`` finds it through importlib.resources wherever the package is installed."""
from setuptools import find_packages, setup

RESOURCES = ["restorer.resources"] + [f"restorer.resources.{d}" for d in ("backbones", "icons", "models",
                                                                     "models.variations", "sample")]

setup(
    packages=find_packages(include=["restorer*", "training*"]) + RESOURCES,
    package_dir={"restorer.resources": "resources"},
    package_data={"restorer": ["py.typed"], **{p: ["*"] for p in RESOURCES}},
)
