"""The fine-tuning service interface: what `ftlint submit`, `ftlint jobs` and `ftlint try` need
from a service, and the plain data they exchange. A plugin provides a backend through the
`ftlint_get_submit_backends` hook (see `ftlint.hookspecs`); OpenAI's is in
`ftlint_plugins.openai`. Everything here is exported from `ftlint.api`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Literal, Protocol, runtime_checkable

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


class BackendError(Exception):
    """A request the service refused or could not answer: its own message and code, never a
    credential. `status` is the HTTP status when there is one."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status

    def __str__(self) -> str:
        where = " ".join(x for x in (f"HTTP {self.status}" if self.status else "", self.code or "") if x)
        return f"{self.message} ({where})" if where else self.message


@dataclass
class RemoteFile:
    """A file uploaded to the service."""

    id: str
    filename: str
    bytes: int
    status: str = "processed"  # uploaded | processed | error (as the service reports it)


@dataclass
class JobRequest:
    """A fine-tuning job to create. Hyperparameters left out (None) are the service's choice."""

    model: str
    training_file: str
    validation_file: str | None = None
    suffix: str | None = None
    method: Literal["supervised", "dpo"] = "supervised"
    n_epochs: int | None = None
    batch_size: int | None = None
    learning_rate_multiplier: float | None = None
    beta: float | None = None  # dpo only
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters that were set, by their API names."""
        names = ("n_epochs", "batch_size", "learning_rate_multiplier") + (("beta",) if self.method == "dpo" else ())
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


@dataclass
class Checkpoint:
    step: int
    model: str  # ft:...:ckpt-step-N
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Job:
    """A fine-tuning job as the service reports it."""

    id: str
    model: str
    status: str  # validating_files | queued | running | succeeded | failed | cancelled (| paused)
    training_file: str
    validation_file: str | None = None
    fine_tuned_model: str | None = None
    created_at: int | None = None
    finished_at: int | None = None
    trained_tokens: int | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    method: str | None = None
    result_files: list[str] = field(default_factory=list)
    error: str | None = None  # why it failed, with the service's code
    checkpoints: list[Checkpoint] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass
class JobEvent:
    id: str
    created_at: int
    level: str  # info | warn | error
    message: str
    data: dict[str, Any] | None = None  # metrics events: step, train_loss, ...


@dataclass
class InferenceRequest:
    """One request to a model. `prompt` for completion models, `messages` for chat models."""

    model: str
    prompt: str | None = None
    messages: list[dict[str, Any]] | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    logprobs: int | None = None  # alternatives per token to return (completions: at most 5)
    temperature: float = 0.0


@dataclass
class Inference:
    """The answer: its text, and per generated token the most likely alternatives with their
    log probabilities (when asked for)."""

    text: str
    top_logprobs: list[dict[str, float]] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@runtime_checkable
class SubmitBackend(Protocol):
    """A fine-tuning service. Methods raise `BackendError` with the service's message."""

    name: str

    def upload(self, path: str, sha256: str) -> RemoteFile:
        """Upload a training or validation file and wait until the service has processed it;
        remember it under its content hash `sha256` (hex) for `find_file`."""

    def find_file(self, sha256: str) -> RemoteFile | None:
        """The file uploaded earlier with these bytes, if the service still has it."""

    def create_job(self, request: JobRequest) -> Job: ...

    def get_job(self, job_id: str) -> Job: ...

    def list_jobs(self, limit: int = 20) -> list[Job]:
        """The most recent jobs, newest first."""

    def cancel_job(self, job_id: str) -> Job: ...

    def events(self, job_id: str, after: str | None = None) -> Iterator[JobEvent]:
        """The job's events after the event id `after` (all when None), oldest first."""

    def result_file(self, file_id: str) -> bytes:
        """A result file's content (decoded: the CSV text's bytes)."""

    def infer(self, request: InferenceRequest) -> Inference:
        """One request to a (fine-tuned) model."""


BackendFactory = Callable[[], SubmitBackend]
"""Makes a backend; raises `BackendError` when it cannot (no credentials: say which)."""
