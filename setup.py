"""The one build step pyproject.toml cannot say: ship the repository's
``migrations/`` and ``seeds/`` (kept at the root, where the design card puts
them) inside the wheel, as the packages ``janus._migrations`` and
``janus._seeds``. setuptools' own ``package_dir`` mapping does it, no copy
step: the wheel gets their files (the .py ones as modules, the rest through
package-data in pyproject.toml); a checkout has no ``janus/_migrations``,
which is how janus.paths tells the two apart. Everything else is in
pyproject.toml.
"""
from setuptools import find_packages, setup

SHIPPED = {"janus._migrations": "migrations", "janus._seeds": "seeds",
           "janus._seeds.files": "seeds/files"}

setup(packages=find_packages(include=["janus", "janus.*"]) + list(SHIPPED),
      package_dir=SHIPPED)
