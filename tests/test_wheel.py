"""The package as a user installs it: a wheel whose only top-level name is ``lstmlab``, installed
(not editable) into a fresh virtual environment, working from a folder that has its own
``models/`` package and ``pipeline.py`` (names that used to shadow lstmlab's)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "word2vec.epochs=1", "--set", "word2vec.min_count=2", "--set", "segment.workers=1",
        "--set", "train.epochs=1", "--set", "train.max_train_windows=400", "--set", "train.metric_windows=100",
        "--set", "train.lstm_units=8", "--set", "train.histograms=false", "--set", "generate.length=3",
        "--set", "evaluate.max_windows=200", "--set", "evaluate.memory=false"]


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, **options)
    assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)])
    return next(out.glob("lstmlab-*.whl"))


def test_the_wheel_holds_lstmlab_alone(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top == {"lstmlab"}
    for module in ("lstmlab/__init__.py", "lstmlab/__main__.py", "lstmlab/corpus/encoding.py",
                   "lstmlab/models/next_word.py", "lstmlab/pipeline/cli.py", "lstmlab/bench/suite.py"):
        assert module in names


@pytest.mark.slow
def test_installed_wheel_runs_beside_a_users_own_models_package(wheel, tmp_path, hongloumeng_text):
    environment = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(environment)])
    python = environment / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # the dependencies (TensorFlow, gensim, ...) from this environment, without its lstmlab
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed", str(wheel)])

    project = tmp_path / "project"  # a user's ML project with names lstmlab must not collide with
    (project / "models").mkdir(parents=True)
    (project / "models" / "__init__.py").write_text("", encoding="utf-8")
    (project / "pipeline.py").write_text("raise RuntimeError('the user pipeline.py was imported')\n",
                                         encoding="utf-8")
    corpus = project / "hongloumeng-cut.txt"
    corpus.write_text(hongloumeng_text[: hongloumeng_text.index("\n", 60_000)], encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    _run([str(environment / "bin" / "lstmlab"), "-q", "run", str(corpus), "--run-dir", "run", *TINY],
         cwd=project, env=env)
    code = ("import lstmlab; r = lstmlab.load('run'); print(lstmlab.__file__); "
            "print(r.generate('宝玉道', length=30)); print(r.similar('宝玉', k=3))")
    done = _run([str(python), "-c", code], cwd=project, env=env)
    location, sample, similar = done.stdout.strip().splitlines()
    assert location.startswith(str(site))
    assert sample.startswith("宝玉道") and len(sample) > len("宝玉道") + 10
    assert similar.startswith("[(") and similar.count("', ") == 3
    assert _run([str(python), "-m", "lstmlab", "--version"], cwd=project, env=env).stdout.startswith("lstmlab ")
