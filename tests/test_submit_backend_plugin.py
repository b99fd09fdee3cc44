"""A second fine-tuning backend, written from the `ftlint_get_submit_backends` documentation
alone, pip-installed as its own package: `ftlint submit --backend acme` and `ftlint jobs` use it."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

SOURCE = '''
import json, os
from ftlint import api, hookimpl


class AcmeBackend:
    """Keeps its "service" in the JSON file named by ACME_STATE."""

    name = "acme"

    def __init__(self):
        if "ACME_TOKEN" not in os.environ:
            raise api.BackendError("set ACME_TOKEN")
        self.path = os.environ["ACME_STATE"]

    def _load(self):
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {"files": {}, "jobs": {}, "calls": []}

    def _save(self, state):
        with open(self.path, "w") as f:
            json.dump(state, f)

    def _call(self, name):
        state = self._load()
        state["calls"].append(name)
        self._save(state)
        return state

    def upload(self, path, sha256):
        state = self._call("upload")
        file_id = "acme-file-%d" % len(state["files"])
        state["files"][sha256] = [file_id, os.path.basename(path), os.path.getsize(path)]
        self._save(state)
        return api.RemoteFile(file_id, os.path.basename(path), os.path.getsize(path))

    def find_file(self, sha256):
        found = self._call("find_file")["files"].get(sha256)
        return api.RemoteFile(found[0], found[1], found[2]) if found else None

    def create_job(self, request):
        state = self._call("create_job")
        job_id = "acme-job-%d" % len(state["jobs"])
        state["jobs"][job_id] = {"model": request.model, "training_file": request.training_file,
                                 "hyperparameters": request.hyperparameters()}
        self._save(state)
        return self.get_job(job_id)

    def get_job(self, job_id):
        job = self._load()["jobs"].get(job_id)
        if job is None:
            raise api.BackendError("no such job", code="not_found", status=404)
        return api.Job(job_id, job["model"], "succeeded", job["training_file"],
                       fine_tuned_model="acme:" + job["model"] + ":1", hyperparameters=job["hyperparameters"])

    def list_jobs(self, limit=20):
        return [self.get_job(j) for j in sorted(self._load()["jobs"], reverse=True)][:limit]

    def cancel_job(self, job_id):
        raise api.BackendError("acme jobs finish at once", code="already_done", status=400)

    def events(self, job_id, after=None):
        events = [api.JobEvent("e1", 1765000000, "info", "acme trained it")]
        return iter([e for e in events if after is None])

    def result_file(self, file_id):
        return b"step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\\n1,0.5,0.9,,\\n"

    def infer(self, request):
        return api.Inference(" positive", [{" positive": -0.1}])


@hookimpl
def ftlint_get_submit_backends():
    return {"acme": AcmeBackend}
'''


def build_wheel(tmp_path: Path) -> Path:
    files = {
        "acme_backend/__init__.py": SOURCE,
        "acme_backend-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme_backend\nVersion: 1.0\n",
        "acme_backend-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "acme_backend-1.0.dist-info/entry_points.txt": "[ftlint]\nacme-backend = acme_backend\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append("acme_backend-1.0.dist-info/RECORD,,")
    files["acme_backend-1.0.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = tmp_path / "acme_backend-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


@pytest.fixture(scope="module")
def acme(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("acme")
    target = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(target),
                    str(build_wheel(root))], check=True)
    return target


def test_submit_and_jobs_through_a_second_backend(ftlint, acme, tmp_path):
    state = tmp_path / "acme.json"
    env = {"PYTHONPATH": str(acme), "ACME_STATE": str(state), "ACME_TOKEN": "t", "OPENAI_API_KEY": ""}
    train = str(DATA / "train_small.jsonl")
    done = ftlint("submit", train, "--model", "babbage-002", "--backend", "acme", "--n-epochs", "2", "--isolated", env=env)
    assert done.returncode == 0, done.stderr
    assert b"uploaded as acme-file-0" in done.stdout and b"created job acme-job-0 (succeeded) on acme" in done.stdout
    assert json.loads(state.read_text())["jobs"]["acme-job-0"]["hyperparameters"] == {"n_epochs": 2}
    done = ftlint("submit", train, "--model", "babbage-002", "--backend", "acme", "--isolated", env=env)
    assert b"already uploaded as acme-file-0" in done.stdout
    assert json.loads(state.read_text())["calls"].count("upload") == 1
    done = ftlint("jobs", "follow", "acme-job-0", "--backend", "acme", "--isolated", env=env)
    assert done.returncode == 0 and b"acme trained it" in done.stdout and b"succeeded, model acme:babbage-002:1" in done.stdout
    done = ftlint("jobs", "cancel", "acme-job-0", "--backend", "acme", "--isolated", env=env)
    assert done.returncode == 2 and b"acme jobs finish at once (HTTP 400 already_done)" in done.stderr
    done = ftlint("try", "acme:babbage-002:1", "great", "--backend", "acme", "--data", train, "--isolated", env=env)
    assert done.returncode == 0 and b'" positive"' in done.stdout


def test_backend_errors_from_the_factory_and_unknown_names(ftlint, acme, tmp_path):
    env = {"PYTHONPATH": str(acme), "ACME_STATE": str(tmp_path / "acme.json")}
    done = ftlint("jobs", "list", "--backend", "acme", "--isolated", env=env)
    assert done.returncode == 2 and done.stderr.strip() == b"ftlint: error: set ACME_TOKEN"
    done = ftlint("jobs", "list", "--backend", "nope", "--isolated", env=env)
    assert done.returncode == 2 and b"unknown backend 'nope'; installed: acme, openai" in done.stderr


def test_the_backend_follows_the_protocol(acme, monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(acme))
    monkeypatch.setenv("ACME_TOKEN", "t")
    monkeypatch.setenv("ACME_STATE", str(tmp_path / "acme.json"))
    from acme_backend import AcmeBackend

    from ftlint import api

    assert isinstance(AcmeBackend(), api.SubmitBackend)
