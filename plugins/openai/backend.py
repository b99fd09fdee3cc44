"""OpenAI's files and fine-tuning endpoints through the official `openai` SDK (imported here
only, when a command needs the service).

The SDK reads OPENAI_API_KEY, OPENAI_BASE_URL (compatible services), OPENAI_ORG_ID and
OPENAI_PROJECT_ID, and retries 408/409/429/5xx with exponential backoff, honouring
Retry-After, MAX_RETRIES times. The key never leaves the client: every message shown is
passed through `redact`.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

from ftlint import api
from ftlint.api import BackendError, Checkpoint, Inference, InferenceRequest, Job, JobEvent, JobRequest, RemoteFile

MAX_RETRIES = 4
FILE_POLL_SECONDS = 2.0
FILE_WAIT_SECONDS = 30 * 60
_KEY_LIKE = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{4,}")


def redact(text: str) -> str:
    """The text without the API key, or anything shaped like one (the API echoes masked keys)."""
    key = os.environ.get("OPENAI_API_KEY")
    if key:
        text = text.replace(key, "***")
    return _KEY_LIKE.sub("sk-***", text)


def _sdk() -> Any:
    return api.import_extra("openai", "openai", "the openai backend")


def make_client(**options: Any) -> Any:
    """The SDK client (tests pass `http_client` here, the SDK's own transport seam)."""
    openai = _sdk()
    if not os.environ.get("OPENAI_API_KEY") and "api_key" not in options:
        raise BackendError("no OpenAI API key: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible service)")
    try:
        return openai.OpenAI(max_retries=MAX_RETRIES, **options)
    except openai.OpenAIError as error:
        raise BackendError(redact(str(error))) from None


def cache_path() -> Path:
    """content hash -> file id records, in the user's cache directory (never the data folder)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("ftlint")) / "openai-files.json"


class OpenAIBackend:
    name = "openai"

    def __init__(self, client: Any | None = None) -> None:
        self.client = client if client is not None else make_client()
        self.openai = _sdk()

    # --- errors ------------------------------------------------------------------------------

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the SDK; its errors become BackendError with the API's own message and code."""
        openai = self.openai
        try:
            return function(*args, **kwargs)
        except openai.APIStatusError as error:
            body = error.body if isinstance(error.body, dict) else {}
            detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
            message = detail.get("message") or error.message
            raise BackendError(redact(str(message)), code=detail.get("code") or error.code, status=error.status_code) from None
        except openai.APIConnectionError as error:
            raise BackendError(redact(f"could not reach {self.client.base_url}: {error}")) from None
        except openai.OpenAIError as error:
            raise BackendError(redact(str(error))) from None

    # --- files -------------------------------------------------------------------------------

    def _cache_key(self, sha256: str) -> str:
        return f"{self.client.base_url}|{self.client.organization or ''}|{self.client.project or ''}|{sha256}"

    def _read_cache(self) -> dict[str, str]:
        try:
            data = json.loads(cache_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_cache(self, cache: dict[str, str]) -> None:
        path = cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(cache, indent=1), encoding="utf-8")
        os.replace(partial, path)

    def find_file(self, sha256: str) -> RemoteFile | None:
        cache = self._read_cache()
        file_id = cache.get(self._cache_key(sha256))
        if file_id is None:
            return None
        try:
            found = self._call(self.client.files.retrieve, file_id)
        except BackendError as error:
            if error.status == 404:
                del cache[self._cache_key(sha256)]
                self._write_cache(cache)
                return None
            raise
        if found.status == "error":
            return None
        return RemoteFile(found.id, found.filename, found.bytes, found.status)

    def upload(self, path: str, sha256: str) -> RemoteFile:
        with open(path, "rb") as stream:
            created = self._call(self.client.files.create, file=(Path(path).name, stream), purpose="fine-tune")
        done = self._call(self.client.files.wait_for_processing, created.id, poll_interval=FILE_POLL_SECONDS,
                          max_wait_seconds=FILE_WAIT_SECONDS)
        if done.status != "processed":
            raise BackendError(f"{path}: the service could not process the file ({done.status}: {done.status_details or 'no details'})")
        cache = self._read_cache()
        cache[self._cache_key(sha256)] = done.id
        self._write_cache(cache)
        return RemoteFile(done.id, done.filename, done.bytes, done.status)

    def result_file(self, file_id: str) -> bytes:
        raw = self._call(self.client.files.content, file_id).read()
        try:
            return base64.b64decode(raw, validate=True)  # result files come back base64-encoded
        except (binascii.Error, ValueError):
            return raw

    # --- jobs --------------------------------------------------------------------------------

    def create_job(self, request: JobRequest) -> Job:
        options: dict[str, Any] = {"model": request.model, "training_file": request.training_file}
        for name in ("validation_file", "suffix", "seed"):
            if getattr(request, name) is not None:
                options[name] = getattr(request, name)
        if request.metadata:
            options["metadata"] = request.metadata
        options["method"] = {"type": request.method, request.method: {"hyperparameters": request.hyperparameters()}}
        return self._job(self._call(self.client.fine_tuning.jobs.create, **options))

    def get_job(self, job_id: str) -> Job:
        job = self._job(self._call(self.client.fine_tuning.jobs.retrieve, job_id))
        if job.status in ("running", "succeeded", "cancelled", "failed"):
            page = self._call(self.client.fine_tuning.jobs.checkpoints.list, job_id, limit=100)
            job.checkpoints = sorted(
                (Checkpoint(c.step_number, c.fine_tuned_model_checkpoint,
                            {k: v for k, v in c.metrics.model_dump().items() if v is not None}) for c in page.data),
                key=lambda c: c.step,
            )
        return job

    def list_jobs(self, limit: int = 20) -> list[Job]:
        return [self._job(j) for j in self._call(self.client.fine_tuning.jobs.list, limit=limit).data]

    def cancel_job(self, job_id: str) -> Job:
        return self._job(self._call(self.client.fine_tuning.jobs.cancel, job_id))

    def events(self, job_id: str, after: str | None = None) -> Iterator[JobEvent]:
        """Newest-first pages are read until the event `after`, then given oldest first."""
        newer: list[JobEvent] = []
        page = self._call(self.client.fine_tuning.jobs.list_events, job_id, limit=100)
        while True:
            for event in page.data:
                if event.id == after:
                    return iter(reversed(newer))
                data = event.data if isinstance(event.data, dict) else None
                newer.append(JobEvent(event.id, event.created_at, event.level, event.message, data))
            if after is None or not page.has_next_page():
                return iter(reversed(newer))
            page = self._call(page.get_next_page)

    def _job(self, job: Any) -> Job:
        method: str | None = job.method.type if job.method is not None else None
        hyperparameters = job.hyperparameters.model_dump(exclude_none=True) if job.hyperparameters is not None else {}
        details = getattr(job.method, method) if method is not None else None
        if details is not None:
            chosen = details.hyperparameters
            if chosen is not None:
                hyperparameters = chosen.model_dump(exclude_none=True)
        error = f"{redact(job.error.message)} ({job.error.code})" if job.error is not None and job.error.message else None
        return Job(
            id=job.id, model=job.model, status=job.status, training_file=job.training_file,
            validation_file=job.validation_file, fine_tuned_model=job.fine_tuned_model, created_at=job.created_at,
            finished_at=job.finished_at, trained_tokens=job.trained_tokens, hyperparameters=hyperparameters,
            method=method, result_files=list(job.result_files), error=error, metadata=dict(job.metadata or {}),
        )

    # --- inference ---------------------------------------------------------------------------

    def infer(self, request: InferenceRequest) -> Inference:
        if request.messages is not None:
            options: dict[str, Any] = {"model": request.model, "messages": request.messages, "temperature": request.temperature}
            if request.max_tokens is not None:
                options["max_tokens"] = request.max_tokens
            if request.stop:
                options["stop"] = request.stop
            if request.logprobs:
                options["logprobs"] = True
                options["top_logprobs"] = min(request.logprobs, 20)
            answer = self._call(self.client.chat.completions.create, **options)
            choice = answer.choices[0]
            tops = [{t.token: t.logprob for t in item.top_logprobs} for item in (choice.logprobs.content or [])] \
                if choice.logprobs is not None else []
            text = choice.message.content or ""
        else:
            options = {"model": request.model, "prompt": request.prompt, "temperature": request.temperature}
            if request.max_tokens is not None:
                options["max_tokens"] = request.max_tokens
            if request.stop:
                options["stop"] = request.stop
            if request.logprobs:
                options["logprobs"] = min(request.logprobs, 5)  # the completions endpoint's cap
            answer = self._call(self.client.completions.create, **options)
            choice = answer.choices[0]
            tops = [dict(item) for item in (choice.logprobs.top_logprobs or [])] if choice.logprobs is not None else []
            text = choice.text
        usage = answer.usage
        return Inference(text, tops, usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None)
