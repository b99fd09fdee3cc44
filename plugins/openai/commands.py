"""`ftlint submit`, `ftlint jobs ...` and `ftlint try`: from a dataset that passes the gate to
a fine-tuning job, its results and a tried model, on any backend of the
`ftlint_get_submit_backends` hook (OpenAI's is built in).

Every command here returns 0 on success, 1 when the gate refuses the data (or a followed job
fails), 2 for usage, configuration, service and I/O errors, 130 when interrupted.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from ftlint import api

EXIT_GATE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
LEGACY_BASE_MODELS = ("ada", "babbage", "curie", "davinci")
# What can be fine-tuned today (OpenAI's fine-tuning guide); ftlint knows their token limits.
FINE_TUNABLE = (
    "babbage-002", "davinci-002", "gpt-3.5-turbo-0125", "gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06",
    "gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14",
)
LEAKAGE_CODES = ("FT610", "FT611")  # exact and near-duplicate train/validation leakage (FT611 is opt-in)
COMPLETIONS_LOGPROBS_CAP = 5


class CommandError(Exception):
    """Printed as `ftlint: error: ...`; exit 2."""


def _print_error(message: str) -> None:
    print(f"ftlint: error: {_visible(message)}", file=sys.stderr)


def _visible(text: str) -> str:
    """Text without terminal control characters (model answers, service messages)."""
    return "".join(ch if ch.isprintable() or ch == "\n" else f"\\u{ord(ch):04x}" for ch in text)


def _handler(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Errors become one line and an exit code, never a traceback."""

    def handle(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (CommandError, api.BackendError, api.ConfigError) as error:
            _print_error(str(error))
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("ftlint: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except OSError as error:
            _print_error(f"{error.filename + ': ' if error.filename else ''}{error.strerror or error}")
            return EXIT_USAGE

    return handle


def _backend(name: str) -> api.SubmitBackend:
    backends = api.submit_backends()
    if name not in backends:
        raise CommandError(f"unknown backend {name!r}; installed: {', '.join(sorted(backends)) or 'none'}")
    return backends[name]()


def _settings(args: argparse.Namespace) -> api.Settings:
    return api.load_config(args.config, isolated=args.isolated)


def _base(model: str) -> str:
    return model.split(":")[1] if model.startswith("ft:") else model.split(":")[0]


def is_chat_model(model: str) -> bool:
    """Fine-tuned chat models answer through chat completions; babbage-002, davinci-002 (and
    the legacy ada..davinci) through completions."""
    return _base(model).startswith(("gpt-", "o1", "o3", "o4"))


def _when(timestamp: int | None) -> str:
    if not timestamp:
        return "-"
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GiB"


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- submit --------------------------------------------------------------------------------------

@dataclass
class Gate:
    result: api.CheckResult
    leak_codes: list[str]  # the leakage and near-duplicate rules that ran


def run_gate(train: str, validation: str | None, model: str, settings: api.Settings) -> Gate:
    """`check` on both files with the user's config, `model`'s token limits and encoding, and
    the leakage and near-duplicate rules selected whatever the config says."""
    installed = [code for code in LEAKAGE_CODES if code in api.registry().rules]
    result = api.check([train], validation=validation, settings=settings, model=model,
                       extend_select=[*settings.extend_select, *installed])
    return Gate(result, [code for code in LEAKAGE_CODES if code in result.run.rules])


def _stats(path: str, model: str, settings: api.Settings, **options: Any) -> Any:
    try:
        return api.dataset_stats(path, model=model, settings=settings, **options)
    except ValueError as error:  # an unknown model: the message lists the known ones
        raise CommandError(str(error)) from None


def _refuse_legacy(model: str) -> None:
    if _base(model) in LEGACY_BASE_MODELS and not model.startswith("ft:"):
        raise CommandError(
            f"{model} can no longer be fine-tuned (the legacy guide's base models ada, babbage, curie and davinci "
            f"were retired); models that can: {', '.join(FINE_TUNABLE)}. `ftlint check --model {model}` still "
            "checks data against its limits"
        )


def cmd_submit(args: argparse.Namespace) -> int:
    _refuse_legacy(args.model)
    settings = _settings(args)
    uploaded_ids = [p for p in (args.train, args.validation) if p and p.startswith("file-")]
    if uploaded_ids and not args.no_check:
        raise CommandError(f"{', '.join(uploaded_ids)}: an uploaded file id cannot be linted, so the gate cannot pass it; "
                           "pass --no-check to submit it unchecked")
    for path in (args.train, args.validation):
        if path and not path.startswith("file-") and not os.path.isfile(path):
            raise CommandError(f"{path}: no such file")
    if args.beta is not None and args.method != "dpo":
        raise CommandError("--beta is a dpo hyperparameter: add --method dpo")
    for name, low, high in (("n_epochs", 1, 50), ("batch_size", 1, 256)):
        value = getattr(args, name)
        if value is not None and not low <= value <= high:
            raise CommandError(f"--{name.replace('_', '-')} must be between {low} and {high}")
    if args.learning_rate_multiplier is not None and not args.learning_rate_multiplier > 0:
        raise CommandError("--learning-rate-multiplier must be positive")

    gate = None
    if args.no_check:
        print("gate: skipped (--no-check): the data was NOT checked")
    else:
        local_validation = args.validation if args.validation and not args.validation.startswith("file-") else None
        if args.validation and local_validation is None:
            print(f"note: {args.validation} is already uploaded: leakage between the files cannot be checked")
        gate = run_gate(args.train, local_validation, args.model, settings)
        result = gate.result
        if result.errors:
            for message in result.errors:
                _print_error(message)
            return EXIT_USAGE
        if result.diagnostics:
            sys.stdout.write(result.render("text"))
        errors = result.errors_found
        if errors:
            print(f"submission refused: {len(errors):,} error-level finding{'s' * (len(errors) != 1)}; "
                  "nothing was uploaded and no job was created. Fix them and submit again "
                  "(`ftlint check --fix` applies the safe fixes, `--unsafe-fixes --diff` shows the others).")
            return EXIT_GATE
        print(f"gate: passed ({_gate_summary(gate)})")

    backend = None
    previous = None
    if args.model.startswith("ft:") or not args.dry_run:
        backend = _backend(args.backend)  # a missing key is reported here, before any upload
    if args.model.startswith("ft:"):
        previous = _previous_tokens_per_epoch(backend, args.model)
    request = api.JobRequest(
        model=args.model, training_file="", suffix=args.suffix, method=args.method, n_epochs=args.n_epochs,
        batch_size=args.batch_size, learning_rate_multiplier=args.learning_rate_multiplier, beta=args.beta, seed=args.seed,
    )
    _print_plan(args, settings, request, previous)
    if args.dry_run:
        print("dry run: nothing was uploaded and no job was created")
        return 0

    assert backend is not None
    request.training_file = _upload(backend, args.train)
    if args.validation:
        request.validation_file = _upload(backend, args.validation)
    job = backend.create_job(request)
    print(f"created job {job.id} ({job.status}) on {backend.name}: {job.model}")
    print(f"next: ftlint jobs follow {job.id}   then: ftlint jobs results {job.id}   "
          f"and: ftlint try <fine-tuned model> \"text\" --data {args.train if not args.train.startswith('file-') else 'TRAIN'}")
    if args.follow:
        return follow(backend, job.id, args.interval)
    return 0


def _gate_summary(gate: Gate) -> str:
    result = gate.result
    warnings = len(result.diagnostics) - len(result.errors_found)
    files = ", ".join(f"{f.path} ({f.records:,} records)" for f in result.files)
    leak = f"leakage rules {', '.join(gate.leak_codes)}" if gate.leak_codes else "no leakage rules"
    missing = "" if "FT611" in gate.leak_codes else "; the near-duplicate leakage rule FT611 is not installed, exact leakage only"
    return f"{files}; {len(result.run.rules)} rules ran, {leak}{missing}; {warnings} warning/info finding{'s' * (warnings != 1)}"


def _previous_tokens_per_epoch(backend: api.SubmitBackend | None, model: str) -> int | None:
    """Tokens per epoch of the job that made a fine-tuned model (continuing its training)."""
    if backend is None:
        return None
    for job in backend.list_jobs(100):
        if job.fine_tuned_model == model and job.trained_tokens:
            epochs = job.hyperparameters.get("n_epochs")
            return job.trained_tokens // epochs if isinstance(epochs, int) and epochs > 0 else job.trained_tokens
    print(f"note: the job that produced {model} was not found among the last 100 jobs; "
          "the continued-training advice cannot compare data sizes")
    return None


def _print_plan(args: argparse.Namespace, settings: api.Settings, request: api.JobRequest, previous: int | None) -> None:
    print(f"plan: fine-tune {args.model} ({args.method}) on {args.backend}" + (f", suffix {args.suffix!r}" if args.suffix else ""))
    stats = None
    if not args.train.startswith("file-"):
        stats = _stats(args.train, args.model, settings, n_epochs=args.n_epochs, previous_tokens_per_epoch=previous)
    for role, path in (("training", args.train), ("validation", args.validation)):
        if not path:
            continue
        if path.startswith("file-"):
            print(f"  {role} file: {path} (already uploaded; not checked)")
            continue
        examples = f", {stats.examples:,} examples" if role == "training" and stats is not None else ""
        print(f"  {role} file: {path}, {_size(os.path.getsize(path))}{examples}")
    if stats is not None:
        for line in api.describe_stats(stats)[1:]:
            print(line)
    chosen = request.hyperparameters()
    given = ", ".join(f"{k}={v}" for k, v in chosen.items())
    print(f"  hyperparameters: {given + '; the rest' if given else 'none given; all'} left to the service")


def _upload(backend: api.SubmitBackend, path: str) -> str:
    if path.startswith("file-"):
        return path
    digest = sha256_of(path)
    found = backend.find_file(digest)
    if found is not None:
        print(f"{path}: already uploaded as {found.id} (same bytes, sha256 {digest[:12]}); not uploading again")
        return found.id
    print(f"{path}: uploading {_size(os.path.getsize(path))}...")
    uploaded = backend.upload(path, digest)
    print(f"{path}: uploaded as {uploaded.id} ({uploaded.status})")
    return uploaded.id


# --- jobs ----------------------------------------------------------------------------------------

def follow(backend: api.SubmitBackend, job_id: str, interval: float) -> int:
    """Print the job's events until it ends. Ctrl-C detaches; the job keeps running."""
    last = None
    try:
        while True:
            job = backend.get_job(job_id)
            for event in backend.events(job_id, after=last):
                print(f"{_when(event.created_at)}  {event.level:<5} {_visible(event.message)}")
                last = event.id
            if job.finished:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        print(f"\ndetached: job {job_id} keeps running. Resume with: ftlint jobs follow {job_id}  "
              f"(stop it with: ftlint jobs cancel {job_id})", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"job {job.id}: {job.status}" + (f", model {job.fine_tuned_model}" if job.fine_tuned_model else "")
          + (f": {job.error}" if job.error else ""))
    if job.status == "succeeded":
        print(f"next: ftlint jobs results {job.id}   ftlint try {job.fine_tuned_model} \"text\" --data TRAIN")
        return 0
    return EXIT_GATE


def cmd_jobs_list(args: argparse.Namespace) -> int:
    jobs = _backend(args.backend).list_jobs(args.limit)
    if args.format == "json":
        print(json.dumps([dataclasses.asdict(j) for j in jobs], indent=2))
        return 0
    if not jobs:
        print("no fine-tuning jobs")
    for job in jobs:
        print(f"{job.id:<32} {job.status:<16} {job.model:<28} {job.fine_tuned_model or '-':<40} {_when(job.created_at)}")
    return 0


def cmd_jobs_get(args: argparse.Namespace) -> int:
    job = _backend(args.backend).get_job(args.job)
    if args.format == "json":
        print(json.dumps(dataclasses.asdict(job), indent=2))
        return 0
    rows = [
        ("status", job.status), ("model", job.model), ("method", job.method or "-"),
        ("fine-tuned model", job.fine_tuned_model or "-"), ("training file", job.training_file),
        ("validation file", job.validation_file or "-"),
        ("hyperparameters", ", ".join(f"{k}={v}" for k, v in job.hyperparameters.items()) or "-"),
        ("trained tokens", f"{job.trained_tokens:,}" if job.trained_tokens else "-"),
        ("created", _when(job.created_at)), ("finished", _when(job.finished_at)),
        ("result files", ", ".join(job.result_files) or "-"),
    ]
    rows += [("error", job.error)] if job.error else []
    rows += [("metadata", json.dumps(job.metadata))] if job.metadata else []
    print(job.id)
    for name, value in rows:
        print(f"  {name + ':':<18} {_visible(str(value))}")
    if job.checkpoints:
        print("  checkpoints:")
        for checkpoint in job.checkpoints:
            metrics = ", ".join(f"{k} {v:.4g}" for k, v in checkpoint.metrics.items() if k != "step")
            print(f"    step {checkpoint.step:>6}  {checkpoint.model}  {metrics}")
    return 0


def cmd_jobs_follow(args: argparse.Namespace) -> int:
    return follow(_backend(args.backend), args.job, args.interval)


def cmd_jobs_cancel(args: argparse.Namespace) -> int:
    job = _backend(args.backend).cancel_job(args.job)
    print(f"job {job.id}: {job.status}")
    return 0


def cmd_jobs_results(args: argparse.Namespace) -> int:
    from ftlint_plugins.openai import results as results_mod

    backend = _backend(args.backend)
    job = backend.get_job(args.job)
    if not job.result_files:
        raise CommandError(f"job {job.id} has no result file yet ({job.status})")
    data = backend.result_file(job.result_files[0])
    output = args.output or f"{job.id}-results.csv"
    with open(output, "wb") as out:
        out.write(data)
    try:
        parsed = results_mod.parse(data)
    except results_mod.ResultFileError as error:
        raise CommandError(f"{job.result_files[0]}: {error}") from None
    print(f"{job.id}: result file {job.result_files[0]} saved to {output} ({parsed.layout} layout, {len(parsed.steps):,} steps)")
    for name, value in parsed.final.items():
        print(f"  final {name}: {value:.4f}")
    if not any(name.startswith("classification/") for name in parsed.final):
        print(f"  classification metrics: not computed by the service; `ftlint jobs evaluate {job.id} --data VALID` computes them")
    if args.plot:
        if not args.plot.lower().endswith(".png"):
            raise CommandError("--plot writes a PNG file: give it a .png name")
        results_mod.plot(parsed, args.plot, f"{job.id} ({job.fine_tuned_model or job.model})")
        print(f"  curves: {args.plot}")
    return 0


# --- conventions, try, evaluate ------------------------------------------------------------------

@dataclass
class Usage:
    """How to ask the model: the dataset's conventions."""

    format: str = "prompt-completion"
    separator: str | None = None
    stop: str | None = None
    classes: list[str] | None = None  # classification: the labels, most common first
    system: str | None = None  # chat: the system message every conversation starts with


def dataset_usage(path: str | None, settings: api.Settings) -> Usage:
    if path is None:
        return Usage(separator=settings.separator, stop=settings.stop)
    # Only the conventions are needed: one cheap rule, any model.
    conventions = api.check([path], settings=settings, select=["FT001"]).conventions
    conv = next(iter(conventions.values()))
    usage = Usage(conv.format, conv.separator, conv.stop, conv.classes if conv.task == "classification" else None)
    if conv.format == "chat":
        systems: set[str | None] = set()
        answers: list[str] = []
        for record in read_records(path):
            messages = record.get("messages") or []
            first = messages[0] if messages and isinstance(messages[0], dict) else {}
            systems.add(first.get("content") if first.get("role") == "system" else None)
            found = _last_assistant(messages)
            if found is not None:
                answers.append(found[1])
        usage.system = systems.pop() if len(systems) == 1 else None
        distinct: dict[str, str] = {}
        for answer in answers:
            distinct.setdefault(api.label_key(answer), answer)
        if answers and len(distinct) <= min(20, max(2, len(answers) // 3)):
            usage.classes = list(distinct.values())
    return usage


def read_records(path: str) -> list[dict]:
    records = []
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise CommandError(f"{path}:{number}: not valid JSON; run `ftlint check {path}` first") from None
            if not isinstance(record, dict):
                raise CommandError(f"{path}:{number}: not a JSON object; run `ftlint check {path}` first")
            records.append(record)
    return records


def _last_assistant(messages: Any) -> tuple[int, str] | None:
    if not isinstance(messages, list):
        return None
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if isinstance(m, dict) and m.get("role") == "assistant" and isinstance(m.get("content"), str):
            return i, m["content"]
    return None


def build_request(model: str, usage: Usage, text: str | None = None, messages: list | None = None,
                  max_tokens: int | None = None) -> api.InferenceRequest:
    """One request with the dataset's conventions: the separator appended, the stop sequence
    passed, and for a classifier max_tokens=1 and logprobs (at most 5 on completions)."""
    if is_chat_model(model):
        if messages is None:
            messages = ([{"role": "system", "content": usage.system}] if usage.system else []) + [{"role": "user", "content": text}]
        return api.InferenceRequest(model=model, messages=messages, max_tokens=max_tokens,
                                    logprobs=min(len(usage.classes), 20) if usage.classes else None)
    prompt = text or ""
    if usage.separator and not prompt.endswith(usage.separator):
        prompt += usage.separator
    if usage.classes:
        return api.InferenceRequest(model=model, prompt=prompt, max_tokens=1,
                                    logprobs=min(len(usage.classes), COMPLETIONS_LOGPROBS_CAP))
    return api.InferenceRequest(model=model, prompt=prompt, max_tokens=max_tokens or 256,
                                stop=[usage.stop] if usage.stop else None)


def class_probabilities(inference: api.Inference, classes: list[str]) -> dict[str, float]:
    """Each class's probability from the first token's alternatives: a token counts for the
    class whose label it spells (or begins, when only that class begins so)."""
    probabilities = dict.fromkeys(classes, 0.0)
    if not inference.top_logprobs:
        return probabilities
    keys = {c: api.label_key(c) for c in classes}
    for token, logprob in inference.top_logprobs[0].items():
        spelled = api.label_key(token)
        if not spelled:
            continue
        matching = [c for c, k in keys.items() if k == spelled] or [c for c, k in keys.items() if k.startswith(spelled)]
        if len(matching) == 1:
            probabilities[matching[0]] += math.exp(logprob)
    return probabilities


def predicted_class(text: str, classes: list[str]) -> str | None:
    key = api.label_key(text)
    return next((c for c in classes if api.label_key(c) == key), None)


def cmd_try(args: argparse.Namespace) -> int:
    settings = _settings(args)
    usage = dataset_usage(args.data, settings)
    if args.separator is not None:
        usage.separator = args.separator
    if args.stop is not None:
        usage.stop = args.stop
    request = build_request(args.model, usage, text=args.text, max_tokens=args.max_tokens)
    backend = _backend(args.backend)
    answer = backend.infer(request)
    applied = []
    if request.prompt is not None and usage.separator:
        applied.append(f"separator {json.dumps(usage.separator)} appended")
    if request.stop:
        applied.append(f"stop {json.dumps(request.stop[0])}")
    if request.max_tokens == 1:
        applied.append("max_tokens=1")
    if request.logprobs:
        applied.append(f"logprobs={request.logprobs}")
    if request.messages and usage.system:
        applied.append("the dataset's system message")
    endpoint = "chat completions" if request.messages is not None else "completions"
    print(f"{args.model} ({endpoint}{': ' + ', '.join(applied) if applied else ''})")
    print(_visible(json.dumps(answer.text, ensure_ascii=False)))
    if usage.classes and answer.top_logprobs:
        for label, p in sorted(class_probabilities(answer, usage.classes).items(), key=lambda kv: -kv[1]):
            print(f"  {_visible(json.dumps(label, ensure_ascii=False)):<24} {p:.4f}")
    return 0


def cmd_jobs_evaluate(args: argparse.Namespace) -> int:
    from ftlint_plugins.openai import metrics as metrics_mod

    settings = _settings(args)
    backend = _backend(args.backend)
    job = backend.get_job(args.job)
    if not job.fine_tuned_model:
        raise CommandError(f"job {job.id} has no fine-tuned model ({job.status})")
    model = job.fine_tuned_model
    usage = dataset_usage(args.data, settings)
    if not usage.classes:
        raise CommandError(f"{args.data}: not a classification dataset (few distinct answers); evaluate computes classification metrics")
    cases = []  # (request, expected class)
    for record in read_records(args.data):
        if "messages" in record:
            found = _last_assistant(record["messages"])
            if found is None:
                continue
            expected = predicted_class(found[1], usage.classes)
            request = build_request(model, usage, messages=record["messages"][: found[0]], max_tokens=args.max_tokens)
        else:
            expected = predicted_class(str(record.get("completion", "")), usage.classes)
            request = build_request(model, usage, text=str(record.get("prompt", "")))
        if expected is not None:
            cases.append((request, expected))
    try:
        tokens_in = f"about {api.dataset_stats(args.data, model=_base(job.model), settings=settings).tokens.total:,} tokens in"
    except ValueError:
        tokens_in = f"tokens not counted ({_base(job.model)} is not in ftlint's model table)"
    print(f"evaluate {model} on {args.data}: {len(cases):,} requests (one per validation record), {tokens_in}; "
          f"classes: {', '.join(json.dumps(c) for c in usage.classes)}")
    if not args.yes:
        if sys.stdin.isatty():
            if input("send them? [y/N] ").strip().lower() not in ("y", "yes"):
                print("nothing sent")
                return 0
        else:
            raise CommandError("add --yes to send the requests")
    expected_labels, predicted, scores = [], [], []
    positive = usage.classes[-1] if len(usage.classes) == 2 else None  # binary: the less common class
    for request, expected in cases:
        answer = backend.infer(request)
        expected_labels.append(expected)
        predicted.append(predicted_class(answer.text, usage.classes))
        if positive is not None:
            p = class_probabilities(answer, usage.classes)
            total = sum(p.values())
            scores.append(p[positive] / total if total else 0.5)
    result = metrics_mod.classification_metrics(expected_labels, predicted, usage.classes,
                                                scores if positive is not None else None, positive)
    print(f"accuracy {result.accuracy:.4f} over {len(cases):,} records" +
          (f" ({result.unanswered} answers named no class)" if result.unanswered else ""))
    print(f"  {'class':<24} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}")
    for label, m in [*result.per_class.items(), ("(weighted)", result.weighted)]:
        print(f"  {_visible(json.dumps(label, ensure_ascii=False)) if label != '(weighted)' else label:<24} "
              f"{m.precision:>9.4f} {m.recall:>9.4f} {m.f1:>9.4f} {m.support:>8}")
    if result.positive is not None:
        auroc = f"{result.auroc:.4f}" if result.auroc is not None else "n/a (one class only)"
        auprc = f"{result.auprc:.4f}" if result.auprc is not None else "n/a"
        print(f"  AUROC {auroc}, AUPRC {auprc} (positive class {json.dumps(result.positive, ensure_ascii=False)}, from the log probabilities)")
    return 0


# --- the command line ----------------------------------------------------------------------------

def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="openai", help="the fine-tuning service (default: openai)")
    parser.add_argument("--config", metavar="FILE", help="config file (default: nearest ftlint.toml or pyproject.toml with [tool.ftlint])")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")


def _unescape(value: str) -> str:
    return value.encode("latin-1", "backslashreplace").decode("unicode_escape")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    submit = subparsers.add_parser("submit", help="check, upload and start a fine-tuning job (refused when the data fails the check)")
    submit.add_argument("train", metavar="TRAIN", help="the training file (or an uploaded file id with --no-check)")
    submit.add_argument("--validation", metavar="FILE")
    submit.add_argument("--model", required=True, help="the model to fine-tune, or a fine-tuned model to continue training")
    submit.add_argument("--suffix")
    submit.add_argument("--n-epochs", type=int, metavar="N")
    submit.add_argument("--batch-size", type=int, metavar="N")
    submit.add_argument("--learning-rate-multiplier", type=float, metavar="X")
    submit.add_argument("--beta", type=float, metavar="X", help="dpo only")
    submit.add_argument("--seed", type=int)
    submit.add_argument("--method", choices=["supervised", "dpo"], default="supervised")
    submit.add_argument("--dry-run", action="store_true", help="check and print the plan and cost estimate; upload nothing")
    submit.add_argument("--follow", action="store_true", help="then follow the job until it ends")
    submit.add_argument("--no-check", action="store_true", help="submit an already uploaded file id, which cannot be checked")
    submit.add_argument("--interval", type=float, default=10.0, metavar="SECONDS", help="with --follow: seconds between polls")
    _common(submit)
    submit.set_defaults(handler=_handler(cmd_submit))

    jobs = subparsers.add_parser("jobs", help="list, follow, cancel fine-tuning jobs; their results and evaluation")
    actions = jobs.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser("list", help="the most recent jobs")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--format", choices=["text", "json"], default="text")
    _common(listing)
    listing.set_defaults(handler=_handler(cmd_jobs_list))
    get = actions.add_parser("get", help="a job's status, hyperparameters, files and checkpoints")
    get.add_argument("job", metavar="ID")
    get.add_argument("--format", choices=["text", "json"], default="text")
    _common(get)
    get.set_defaults(handler=_handler(cmd_jobs_get))
    follow_parser = actions.add_parser("follow", help="print a job's events until it ends (Ctrl-C detaches)")
    follow_parser.add_argument("job", metavar="ID")
    follow_parser.add_argument("--interval", type=float, default=10.0, metavar="SECONDS")
    _common(follow_parser)
    follow_parser.set_defaults(handler=_handler(cmd_jobs_follow))
    cancel = actions.add_parser("cancel", help="cancel a job")
    cancel.add_argument("job", metavar="ID")
    _common(cancel)
    cancel.set_defaults(handler=_handler(cmd_jobs_cancel))
    results = actions.add_parser("results", help="download the result file; final loss and accuracy; --plot the curves")
    results.add_argument("job", metavar="ID")
    results.add_argument("--output", "-o", metavar="FILE", help="where to save the CSV (default: <job id>-results.csv)")
    results.add_argument("--plot", metavar="FILE.png", help="draw loss and accuracy over steps")
    _common(results)
    results.set_defaults(handler=_handler(cmd_jobs_results))
    evaluate = actions.add_parser("evaluate", help="classification metrics of the fine-tuned model on validation data")
    evaluate.add_argument("job", metavar="ID")
    evaluate.add_argument("--data", required=True, metavar="VALID")
    evaluate.add_argument("--yes", action="store_true", help="send the requests without asking")
    evaluate.add_argument("--max-tokens", type=int, default=None, metavar="N", help="chat models: tokens per answer")
    _common(evaluate)
    evaluate.set_defaults(handler=_handler(cmd_jobs_evaluate))

    trying = subparsers.add_parser("try", help="one request to a fine-tuned model with the dataset's conventions applied")
    trying.add_argument("model", metavar="MODEL")
    trying.add_argument("text", metavar="TEXT")
    trying.add_argument("--data", metavar="TRAIN", help="the training data, whose separator, stop sequence and classes apply")
    trying.add_argument("--separator", type=_unescape)
    trying.add_argument("--stop", type=_unescape)
    trying.add_argument("--max-tokens", type=int, metavar="N")
    _common(trying)
    trying.set_defaults(handler=_handler(cmd_try))
