"""The project installs as a package: `pip install -e .`, then importable from any folder."""
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

from tests.helpers import REPO

SOURCES = ["pyproject.toml", "README.md", "LICENSE", "common", "assets", "part1", "part2", "part3", "pretrained"]


def test_editable_install_imports_from_another_folder(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in SOURCES:  # a copy, so that the build's egg-info stays out of the repository
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, checkout / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, checkout / name)
    # A virtual environment that sees the packages of the one running the tests (torch, setuptools and the rest,
    # from requirements-dev.txt), not the repository. (system_site_packages would show the base Python's instead.)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    inner = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    (Path(inner) / "outer.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-build-isolation", "-e", str(checkout)], capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = ("import part1, part2, part3, common, assets\n"
              "from part1.fast.cells_cpp import SOURCE\n"
              "from part3.karate import DATA\n"
              "from part2.pretrained import load_pretrained\n"
              "load_pretrained()\n"
              "print(part1.__file__, SOURCE.is_file(), DATA.is_file())")
    result = subprocess.run([str(python), "-c", script], cwd=elsewhere, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    location, source_found, data_found = result.stdout.split()
    assert location.startswith(str(checkout)) and source_found == "True" and data_found == "True"
