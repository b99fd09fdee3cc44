"""The submit plugin (`ftlint submit`, `ftlint jobs`, `ftlint try`) with the real openai SDK
against an in-process, stateful emulation of the service (tests/submit_emulator.py)."""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import httpx2
import numpy
import pytest

from ftlint.cli import main
from ftlint_plugins.openai import backend as backend_mod
from ftlint_plugins.openai import metrics as metrics_mod
from submit_emulator import KEY, Emulator

DATA = Path(__file__).parent / "data"
LEAKED = {1, 2, 21}  # lines of valid_small.jsonl that also occur in train_small.jsonl (tests/data/README.md)


@pytest.fixture
def service(monkeypatch, tmp_path):
    """The emulated service behind the real SDK client, a key, and a private cache directory."""
    emulator = Emulator()
    make_client = backend_mod.make_client

    def client(**options):
        transport = httpx2.Client(transport=emulator.transport())
        return make_client(http_client=transport, _strict_response_validation=True, **options)

    monkeypatch.setattr(backend_mod, "make_client", client)
    monkeypatch.setattr(backend_mod, "FILE_POLL_SECONDS", 0)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for name in ("OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return emulator


@pytest.fixture
def clean(tmp_path):
    """train_small.jsonl and valid_small.jsonl without the three leaked records."""
    train = tmp_path / "data" / "train.jsonl"
    valid = tmp_path / "data" / "valid.jsonl"
    train.parent.mkdir()
    train.write_bytes((DATA / "train_small.jsonl").read_bytes())
    lines = (DATA / "valid_small.jsonl").read_bytes().splitlines(keepends=True)
    valid.write_bytes(b"".join(line for number, line in enumerate(lines, 1) if number not in LEAKED))
    return str(train), str(valid)


def ftlint(capsys, *args):
    code = main([*args, "--isolated"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert KEY not in out + err and KEY[8:] not in out + err
    return code, out, err


def created_jobs(service):
    return [r for r in service.requests if r == ("POST", "/fine_tuning/jobs")]


# --- the gate ------------------------------------------------------------------------------------

def test_gate_refuses_dirty_data_and_sends_nothing(service, capsys):
    code, out, err = ftlint(capsys, "submit", str(DATA / "train_small.jsonl"), "--validation", str(DATA / "valid_small.jsonl"),
                            "--model", "babbage-002")
    assert code == 1
    assert out.count(" FT610 ") == 3 and "submission refused: 3 error-level findings" in out
    assert "nothing was uploaded" in out
    assert service.requests == []


def test_gate_uses_the_model_token_limit(service, capsys, tmp_path):
    # a 5,000-token example fits babbage-002 (16,384 tokens) but not gpt-3.5-turbo-0613 (4,096)
    lines = (DATA / "train_small.jsonl").read_text().splitlines()
    lines[0] = json.dumps({"prompt": "The film" + " the" * 5000 + "\n\n###\n\n", "completion": " negative"})
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code, out, _ = ftlint(capsys, "submit", str(path), "--model", "babbage-002", "--dry-run")
    assert code == 0 and "FT401" not in out
    code, out, _ = ftlint(capsys, "submit", str(path), "--model", "gpt-3.5-turbo-0613", "--dry-run")
    assert code == 1 and f"{path}:1:2: FT401" in out and "4,096-token limit" in out
    assert service.requests == []


def test_legacy_base_models_are_refused_with_what_can_be_fine_tuned(service, capsys, clean):
    code, _, err = ftlint(capsys, "submit", clean[0], "--model", "curie")
    assert code == 2 and "curie can no longer be fine-tuned" in err
    assert "babbage-002" in err and "davinci-002" in err and "gpt-4o-mini-2024-07-18" in err
    assert service.requests == []


def test_uploaded_file_id_needs_no_check(service, capsys):
    code, _, err = ftlint(capsys, "submit", "file-abc123", "--model", "babbage-002")
    assert code == 2 and "cannot be linted" in err and "--no-check" in err
    assert service.requests == []


def test_missing_key_is_an_error_before_any_upload(service, capsys, clean, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    code, _, err = ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    assert code == 2 and "no OpenAI API key: set OPENAI_API_KEY" in err
    assert service.requests == []


def test_missing_sdk_is_one_line(service, capsys, clean, monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)
    code, _, err = ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    assert code == 2 and err.strip().splitlines() == ["ftlint: error: the openai backend needs openai: pip install 'ftlint[openai]'"]


def test_dry_run_prints_the_plan_and_sends_nothing(service, capsys, clean):
    code, out, _ = ftlint(capsys, "submit", clean[0], "--validation", clean[1], "--model", "gpt-4o-mini-2024-07-18",
                          "--n-epochs", "2", "--dry-run")
    assert code == 0, out
    assert "gate: passed" in out and "FT610" in out  # the leakage rules ran and are named
    assert f"training file: {clean[0]}" in out and f"validation file: {clean[1]}" in out
    assert "tokens per example: min" in out and "billed tokens per epoch: 4,037" in out
    assert "epochs: 2 (given; the API's default for 150 examples: 3)" in out
    assert "8,074 billed tokens x $3.00 per 1M" in out and "price table of" in out
    assert "batch_size 1" in out and "hyperparameters: n_epochs=2" in out
    assert "dry run: nothing was uploaded" in out
    assert service.requests == []


# --- submit, follow, jobs ------------------------------------------------------------------------

def test_submit_uploads_creates_the_job_and_never_uploads_the_same_bytes_twice(service, capsys, clean, tmp_path):
    code, out, _ = ftlint(capsys, "submit", clean[0], "--validation", clean[1], "--model", "babbage-002",
                          "--suffix", "reviews", "--n-epochs", "3", "--learning-rate-multiplier", "0.1", "--seed", "7")
    assert code == 0, out
    assert service.uploads == 2 and "uploaded as file-0001abc" in out and "uploaded as file-0002abc" in out
    assert "created job ftjob-0001xyz" in out and "ftlint jobs follow ftjob-0001xyz" in out
    body = json.loads(service.bodies[service.requests.index(("POST", "/fine_tuning/jobs"))])
    assert body == {"model": "babbage-002", "training_file": "file-0001abc", "validation_file": "file-0002abc",
                    "suffix": "reviews", "seed": 7,
                    "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3, "learning_rate_multiplier": 0.1}}}}
    # files were processed before the job was created
    assert service.requests.index(("GET", "/files/file-0002abc")) < service.requests.index(("POST", "/fine_tuning/jobs"))

    code, out, _ = ftlint(capsys, "submit", clean[0], "--validation", clean[1], "--model", "babbage-002")
    assert code == 0
    assert service.uploads == 2 and out.count("not uploading again") == 2 and "created job ftjob-0002xyz" in out
    cache = tmp_path / "cache" / "ftlint" / "openai-files.json"
    assert cache.is_file() and KEY not in cache.read_text()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["train.jsonl", "valid.jsonl"]  # nothing in the data folder


def test_a_file_the_service_no_longer_has_is_uploaded_again(service, capsys, clean):
    assert ftlint(capsys, "submit", clean[0], "--model", "babbage-002")[0] == 0
    del service.files["file-0001abc"]
    code, out, _ = ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    assert code == 0 and service.uploads == 2 and "not uploading again" not in out


def test_follow_to_completion(service, capsys, clean):
    code, out, _ = ftlint(capsys, "submit", clean[0], "--model", "babbage-002", "--follow", "--interval", "0")
    assert code == 0, out
    assert "Created fine-tuning job" in out and "Fine-tuning job started" in out and "Step 2/5" in out
    assert out.count("Step 1/5") == 1  # each event once
    assert "job ftjob-0001xyz: succeeded, model ft:babbage-002:acme::abc123" in out
    assert "ftlint try ft:babbage-002:acme::abc123" in out


def test_follow_a_failed_job_exits_1_with_its_error(service, capsys, clean):
    service.finish_as = "failed"
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    code, out, _ = ftlint(capsys, "jobs", "follow", "ftjob-0001xyz", "--interval", "0")
    assert code == 1 and "failed: The job failed due to an invalid training file. (invalid_training_file)" in out


def test_follow_detaches_on_ctrl_c(service, capsys, clean, monkeypatch):
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002")

    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", interrupt)
    code, _, err = ftlint(capsys, "jobs", "follow", "ftjob-0001xyz", "--interval", "5")
    assert code == 130 and "keeps running" in err and "ftlint jobs follow ftjob-0001xyz" in err
    assert ("POST", "/fine_tuning/jobs/ftjob-0001xyz/cancel") not in service.requests


def test_jobs_list_get_and_checkpoints(service, capsys, clean):
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002", "--follow", "--interval", "0")
    code, out, _ = ftlint(capsys, "jobs", "list")
    assert code == 0 and "ftjob-0001xyz" in out and "succeeded" in out and "ft:babbage-002:acme::abc123" in out
    code, out, _ = ftlint(capsys, "jobs", "get", "ftjob-0001xyz")
    assert code == 0
    assert "n_epochs=3" in out and "trained tokens:    12,345" in out
    assert "step      2  ft:babbage-002:acme::abc123:ckpt-step-2  train_loss 1.9" in out


def test_cancel(service, capsys, clean):
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    code, out, _ = ftlint(capsys, "jobs", "cancel", "ftjob-0001xyz")
    assert code == 0 and "job ftjob-0001xyz: cancelled" in out
    code, out, _ = ftlint(capsys, "jobs", "follow", "ftjob-0001xyz", "--interval", "0")
    assert code == 1 and "cancelled" in out
    code, _, err = ftlint(capsys, "jobs", "cancel", "ftjob-0001xyz")
    assert code == 2 and "Job has already completed: cancelled (HTTP 400)" in err


def test_unknown_job_shows_the_api_message_and_code(service, capsys):
    code, _, err = ftlint(capsys, "jobs", "get", "ftjob-nope")
    assert code == 2 and err.strip() == "ftlint: error: No such fine-tuning job: ftjob-nope (HTTP 404 fine_tune_not_found)"


# --- results -------------------------------------------------------------------------------------

def test_results_current_layout_and_plot(service, capsys, clean, tmp_path):
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002", "--follow", "--interval", "0")
    code, out, _ = ftlint(capsys, "jobs", "results", "ftjob-0001xyz", "--plot", "curves.png")
    assert code == 0, out
    assert "current layout, 5 steps" in out
    assert "final training loss: 0.6000" in out and "final training token accuracy: 0.9000" in out
    assert "final validation loss: 0.9000" in out and "final validation token accuracy: 0.8000" in out  # last non-empty
    assert "final full validation loss: 0.7000" in out
    assert "jobs evaluate ftjob-0001xyz" in out
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "ftjob-0001xyz-results.csv").read_text().startswith("step,train_loss")  # decoded from base64


def test_results_legacy_layout(service, capsys, clean, tmp_path):
    service.results_layout = "legacy"
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002", "--follow", "--interval", "0")
    code, out, _ = ftlint(capsys, "jobs", "results", "ftjob-0001xyz", "--plot", "legacy.png", "-o", "legacy.csv")
    assert code == 0, out
    assert "legacy layout, 3 steps" in out
    assert "final training loss: 0.1000" in out and "final training sequence accuracy: 1.0000" in out
    assert "final validation loss: 0.2500" in out and "final validation token accuracy: 0.7000" in out
    assert "final classification/accuracy: 0.9000" in out and "final classification/auroc: 0.9700" in out
    assert "not computed by the service" not in out
    assert (tmp_path / "legacy.png").stat().st_size > 1000 and (tmp_path / "legacy.csv").is_file()


def test_results_before_the_job_finished(service, capsys, clean):
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    code, _, err = ftlint(capsys, "jobs", "results", "ftjob-0001xyz")
    assert code == 2 and "has no result file yet" in err


# --- evaluate and try ----------------------------------------------------------------------------

def test_evaluate_classification_metrics(service, capsys, clean):
    records = [json.loads(line) for line in Path(clean[1]).read_text().splitlines()]
    truth = {r["prompt"]: r["completion"] for r in records}
    wrong = {r["prompt"] for r in records[:6]}  # the model gets the first six wrong

    def answer(prompt):
        label = truth[prompt]
        if prompt in wrong:
            label = " negative" if label == " positive" else " positive"
        other = " negative" if label == " positive" else " positive"
        return label, {label: math.log(0.8), other: math.log(0.2)}

    service.answer = answer
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002", "--follow", "--interval", "0")
    code, out, err = ftlint(capsys, "jobs", "evaluate", "ftjob-0001xyz", "--data", clean[1])
    assert code == 2 and "add --yes" in err and "37 requests" in out
    assert service.inference_bodies == []
    code, out, _ = ftlint(capsys, "jobs", "evaluate", "ftjob-0001xyz", "--data", clean[1], "--yes")
    assert code == 0, out
    assert len(service.inference_bodies) == 37
    body = service.inference_bodies[0]
    assert body["model"] == "ft:babbage-002:acme::abc123" and body["max_tokens"] == 1 and body["logprobs"] == 2
    assert body["prompt"].endswith("\n\n###\n\n")
    # by hand: per class, tp / fp / fn from the six flipped answers
    expected = [r["completion"] for r in records]
    flipped = [r["completion"] for r in records[:6]]
    stats = {}
    for c in (" positive", " negative"):
        support = expected.count(c)
        fn = flipped.count(c)
        fp = 6 - fn
        tp = support - fn
        precision, recall = tp / (tp + fp), tp / support
        stats[c] = (precision, recall, 2 * precision * recall / (precision + recall), support)
    assert f"accuracy {31 / 37:.4f} over 37 records" in out
    for c, (p, r, f, s) in stats.items():
        assert f'"{c}"'.ljust(24) + f" {p:>9.4f} {r:>9.4f} {f:>9.4f} {s:>8}" in out
    weighted = [sum(stats[c][k] * stats[c][3] for c in stats) / 37 for k in range(3)]
    assert "(weighted)".ljust(24) + f" {weighted[0]:>9.4f} {weighted[1]:>9.4f} {weighted[2]:>9.4f} {37:>8}" in out
    assert "AUROC" in out and "AUPRC" in out


def test_metrics_by_hand():
    truth = numpy.array([True, False, True, False])
    scores = numpy.array([0.9, 0.8, 0.7, 0.1])
    # positives 0.9, 0.7 vs negatives 0.8, 0.1: 3 of 4 pairs ordered -> 0.75
    assert metrics_mod.auroc(truth, scores) == pytest.approx(0.75)
    # thresholds 0.9: recall 1/2 at precision 1; 0.7: recall 2/2 at precision 2/3 -> 0.5 + 0.5 * 2/3
    assert metrics_mod.average_precision(truth, scores) == pytest.approx(0.5 + 1 / 3)
    # ties count half: one positive and one negative at the same score -> 0.5
    assert metrics_mod.auroc(numpy.array([True, False]), numpy.array([0.5, 0.5])) == pytest.approx(0.5)
    m = metrics_mod.classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", None], ["a", "b"])
    assert m.accuracy == 0.5 and m.unanswered == 1
    assert (m.per_class["a"].precision, m.per_class["a"].recall) == (1.0, 0.5)
    assert (m.per_class["b"].precision, m.per_class["b"].recall) == (0.5, 0.5)


def test_try_completion_model_applies_the_conventions(service, capsys, clean):
    code, out, _ = ftlint(capsys, "try", "ft:babbage-002:acme::abc123", "A warm, funny film.", "--data", clean[0])
    assert code == 0, out
    body = service.inference_bodies[-1]
    assert service.requests[-1] == ("POST", "/completions")
    assert body["prompt"] == "A warm, funny film.\n\n###\n\n" and body["max_tokens"] == 1 and body["logprobs"] == 2
    assert "completions: separator" in out and '" positive"' in out and "0.9000" in out and "0.1000" in out


def test_try_caps_completion_logprobs_at_5(service, capsys, tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"item {i} ->", "completion": f" c{i % 7}"}) + "\n" for i in range(70)))
    code, _, _ = ftlint(capsys, "try", "ft:davinci-002:acme::x", "item 3", "--data", str(path), "--separator", " ->")
    assert code == 0 and service.inference_bodies[-1]["logprobs"] == 5


def test_try_generation_passes_the_stop_sequence(service, capsys):
    service.answer = lambda prompt: (" a small domesticated feline END", {})
    code, out, _ = ftlint(capsys, "try", "ft:davinci-002:acme::x", "cat", "--data", str(DATA / "generation_small.jsonl"))
    assert code == 0
    body = service.inference_bodies[-1]
    assert body["stop"] == [" END"] and "logprobs" not in body and body["max_tokens"] == 256
    assert "feline" in out


def test_try_chat_model_uses_chat_completions(service, capsys):
    service.answer = lambda text: ("Fine, thanks.", {})
    code, out, _ = ftlint(capsys, "try", "ft:gpt-4o-mini-2024-07-18:acme::x", "How are you?", "--data", str(DATA / "chat_small.jsonl"))
    assert code == 0, out
    assert service.requests[-1] == ("POST", "/chat/completions")
    messages = service.inference_bodies[-1]["messages"]
    assert messages == [{"role": "system", "content": "You are a friendly chatbot. Answer small talk briefly."},
                        {"role": "user", "content": "How are you?"}]
    assert "Fine, thanks." in out


# --- the service misbehaving ---------------------------------------------------------------------

def test_retries_on_429_and_500_honour_retry_after(service, capsys, clean, monkeypatch):
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    service.failures = [("POST", "/files", 429, {"retry-after": "0.25"}, "Rate limit reached"),
                        ("POST", "/files", 500, {"retry-after-ms": "40"}, "The server had an error")]
    code, out, _ = ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    assert code == 0, out
    assert service.requests.count(("POST", "/files")) == 3 and service.uploads == 1
    assert slept[:2] == [0.25, 0.04]
    assert len(created_jobs(service)) == 1


def test_retries_are_bounded_and_no_job_is_half_created(service, capsys, clean, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    service.failures = [("POST", "/files", 503, {}, "The engine is currently overloaded")] * 10
    code, _, err = ftlint(capsys, "submit", clean[0], "--validation", clean[1], "--model", "babbage-002")
    assert code == 2 and "The engine is currently overloaded (HTTP 503)" in err
    assert service.requests.count(("POST", "/files")) == backend_mod.MAX_RETRIES + 1
    assert created_jobs(service) == []


def test_4xx_shows_the_api_message_and_code(service, capsys, clean):
    service.failures = [("POST", "/fine_tuning/jobs", 400, {}, "Model babbage-002 is not available for fine-tuning or does not exist.")]
    code, _, err = ftlint(capsys, "submit", clean[0], "--model", "babbage-002")
    assert code == 2 and "Model babbage-002 is not available for fine-tuning or does not exist. (HTTP 400)" in err
    assert service.requests.count(("POST", "/fine_tuning/jobs")) == 1  # a 4xx is not retried


def test_401_message_without_the_key(service, capsys, clean, monkeypatch):
    service.key = "sk-the-right-one"
    code, out, err = ftlint(capsys, "submit", clean[0], "--model", "babbage-002")  # ftlint() asserts KEY is absent
    assert code == 2
    assert "Incorrect API key provided: ***." in err and "(HTTP 401 invalid_api_key)" in err
    assert created_jobs(service) == [] and service.uploads == 0


def test_the_key_is_never_written_anywhere(service, capsys, clean, tmp_path):
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002", "--follow", "--interval", "0")
    ftlint(capsys, "jobs", "results", "ftjob-0001xyz", "--plot", "p.png")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_continuing_training_on_much_less_data_lowers_the_multiplier(service, capsys, clean, tmp_path):
    ftlint(capsys, "submit", clean[0], "--model", "babbage-002", "--follow", "--interval", "0")
    # the job trained 12,345 tokens over 3 epochs: 4,115 per epoch; 20 records are far fewer
    small = tmp_path / "more.jsonl"
    small.write_text("".join(Path(clean[1]).read_text().splitlines(keepends=True)[:20]))
    code, out, _ = ftlint(capsys, "submit", str(small), "--model", "ft:babbage-002:acme::abc123", "--dry-run")
    assert code == 0, out
    assert "continuing training on 1" in out and "lowered 2x" in out  # 10-50% of the original: 2x lower


def test_unknown_model_is_a_usage_error(service, capsys, clean):
    code, _, err = ftlint(capsys, "submit", clean[0], "--model", "gpt-9-2031-01-01", "--dry-run")
    assert code == 2 and "unknown model 'gpt-9-2031-01-01'" in err


def test_evaluate_chat_classifier(service, capsys, tmp_path):
    records = [{"messages": [{"role": "system", "content": "Classify the review."}, {"role": "user", "content": f"review {i}"},
                             {"role": "assistant", "content": "good" if i % 2 else "bad"}]} for i in range(12)]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    service.answer = lambda text: ("good", {"good": math.log(0.7), "bad": math.log(0.3)})
    ftlint(capsys, "submit", str(DATA / "chat_small.jsonl"), "--model", "gpt-4o-mini-2024-07-18", "--follow", "--interval", "0")
    code, out, _ = ftlint(capsys, "jobs", "evaluate", "ftjob-0001xyz", "--data", str(path), "--yes")
    assert code == 0, out
    body = service.inference_bodies[-1]
    assert service.requests[-1] == ("POST", "/chat/completions")
    assert body["messages"][-1] == {"role": "user", "content": "review 11"} and body["logprobs"] is True and body["top_logprobs"] == 2
    assert "accuracy 0.5000 over 12 records" in out


def test_dpo_hyperparameters_go_under_method(service, capsys, tmp_path):
    path = tmp_path / "preference.jsonl"
    path.write_text("".join(json.dumps({
        "input": {"messages": [{"role": "user", "content": f"Describe item number {i} in one sentence, please."}]},
        "preferred_output": [{"role": "assistant", "content": f"Item {i} is a small red box with a lid."}],
        "non_preferred_output": [{"role": "assistant", "content": f"It is item {i}."}],
    }) + "\n" for i in range(12)))
    code, _, err = ftlint(capsys, "submit", str(path), "--model", "gpt-4o-mini-2024-07-18", "--beta", "0.2")
    assert code == 2 and "--beta is a dpo hyperparameter" in err and service.requests == []
    code, out, _ = ftlint(capsys, "submit", str(path), "--model", "gpt-4o-mini-2024-07-18", "--method", "dpo", "--beta", "0.2", "--n-epochs", "2")
    assert code == 0, out
    body = json.loads(service.bodies[service.requests.index(("POST", "/fine_tuning/jobs"))])
    assert body["method"] == {"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 2, "beta": 0.2}}}
    assert "hyperparameters" not in body  # the deprecated top-level field is never sent
