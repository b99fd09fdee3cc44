"""An in-process, stateful emulation of OpenAI's files, fine-tuning, completions and chat
completions endpoints, at the HTTP transport level: the real `openai` client talks to it
through `httpx2.MockTransport` (the SDK's own transport seam; respx does not intercept httpx2).
Every response body is validated against the SDK's own types before it is sent.
"""
from __future__ import annotations

import base64
import email.parser
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx2
from openai.types import FileObject
from openai.types.chat import ChatCompletion
from openai.types.completion import Completion
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent
from openai.types.fine_tuning.jobs import FineTuningJobCheckpoint

KEY = "sk-test-Zq8v3LmN0pR7tY2wX5cB9dF4gH6jK1"
NOW = 1_765_000_000

CURRENT_RESULTS = (
    "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,full_valid_loss,full_valid_mean_token_accuracy\n"
    "1,2.5,0.40,,,,\n"
    "2,1.9,0.55,1.95,0.50,,\n"
    "3,1.2,0.70,,,,\n"
    "4,0.8,0.85,0.90,0.80,,\n"
    "5,0.6,0.90,,,0.70,0.88\n"
)
LEGACY_RESULTS = (
    "step,elapsed_tokens,elapsed_examples,training_loss,training_sequence_accuracy,training_token_accuracy,"
    "validation_loss,validation_sequence_accuracy,validation_token_accuracy,classification/accuracy,"
    "classification/precision,classification/recall,classification/auroc,classification/auprc,classification/f1.0\n"
    "1,500,1,0.30,0.0,0.50,,,,,,,,,\n"
    "2,1000,2,0.20,0.5,0.75,0.25,0.5,0.7,,,,,,\n"
    "3,1500,3,0.10,1.0,1.00,,,,0.9,0.85,0.95,0.97,0.96,0.897\n"
)


def _validated(kind: Any, data: dict) -> dict:
    kind.model_validate(data)
    return data


@dataclass
class Emulator:
    key: str = KEY
    results_layout: str = "current"
    finish_as: str = "succeeded"
    # (method, path regex, status, headers, message) served once each, in order, before the real answer
    failures: list[tuple[str, str, int, dict[str, str], str]] = field(default_factory=list)
    # the fine-tuned model's answer to a prompt: (text, top logprobs of the first token)
    answer: Callable[[str], tuple[str, dict[str, float]]] = lambda prompt: (" positive", {" positive": math.log(0.9), " negative": math.log(0.1)})
    requests: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    files: dict[str, dict] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    jobs: dict[str, dict] = field(default_factory=dict)
    events: dict[str, list[dict]] = field(default_factory=dict)
    checkpoints: dict[str, list[dict]] = field(default_factory=dict)
    inference_bodies: list[dict] = field(default_factory=list)
    uploads: int = 0

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path.removeprefix("/v1")
        self.requests.append((request.method, path))
        self.bodies.append(request.read())
        if request.headers.get("authorization") != f"Bearer {self.key}":
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            return self._error(401, f"Incorrect API key provided: {given}. You can find your API key at "
                                    "https://platform.openai.com/account/api-keys.", "invalid_api_key")
        for i, (method, pattern, status, headers, message) in enumerate(self.failures):
            if method == request.method and re.fullmatch(pattern, path):
                del self.failures[i]
                return self._error(status, message, None, headers)
        return self._route(request, path)

    def _error(self, status: int, message: str, code: str | None, headers: dict[str, str] | None = None) -> httpx2.Response:
        body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
        return httpx2.Response(status, json=body, headers=headers or {})

    def _route(self, request: httpx2.Request, path: str) -> httpx2.Response:
        method = request.method
        if method == "POST" and path == "/files":
            return self._upload(request)
        if match := re.fullmatch(r"/files/([\w-]+)", path):
            if match[1] not in self.files:
                return self._error(404, f"No such File object: {match[1]}", None)
            record = self.files[match[1]]
            if method == "DELETE":
                del self.files[match[1]]
                return httpx2.Response(200, json={"id": match[1], "object": "file", "deleted": True})
            answer = dict(record)
            record["status"] = "processed"  # processed once it has been looked at
            return httpx2.Response(200, json=_validated(FileObject, answer))
        if match := re.fullmatch(r"/files/([\w-]+)/content", path):
            record = self.files.get(match[1])
            if record is None:
                return self._error(404, f"No such File object: {match[1]}", None)
            if record["purpose"] == "fine-tune":
                return self._error(400, "Not allowed to download files of purpose: fine-tune", None)
            return httpx2.Response(200, content=self.contents[match[1]])
        if method == "POST" and path == "/fine_tuning/jobs":
            return self._create_job(json.loads(request.content))
        if method == "GET" and path == "/fine_tuning/jobs":
            jobs = sorted(self.jobs.values(), key=lambda j: -j["created_at"])
            limit = int(request.url.params.get("limit", 20))
            return httpx2.Response(200, json={"object": "list", "data": [_validated(FineTuningJob, j) for j in jobs[:limit]],
                                              "has_more": len(jobs) > limit})
        if match := re.fullmatch(r"/fine_tuning/jobs/([\w-]+)(/cancel|/events|/checkpoints)?", path):
            job = self.jobs.get(match[1])
            if job is None:
                return self._error(404, f"No such fine-tuning job: {match[1]}", "fine_tune_not_found")
            if match[2] == "/cancel":
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    return self._error(400, f"Job has already completed: {job['status']}", None)
                job["status"] = "cancelled"
                job["finished_at"] = NOW + 100
                self._event(job, "info", "Fine-tuning job cancelled")
            elif match[2] == "/events":
                return self._page(list(reversed(self.events[job["id"]])), request, FineTuningJobEvent)
            elif match[2] == "/checkpoints":
                return self._page(list(reversed(self.checkpoints.get(job["id"], []))), request, FineTuningJobCheckpoint)
            else:
                self._advance(job)
            return httpx2.Response(200, json=_validated(FineTuningJob, job))
        if method == "POST" and path == "/completions":
            body = json.loads(request.content)
            self.inference_bodies.append(body)
            text, tops = self.answer(body["prompt"])
            logprobs = {"tokens": [text], "token_logprobs": [max(tops.values()) if tops else 0.0],
                        "top_logprobs": [dict(list(tops.items())[: body["logprobs"]])], "text_offset": [0]} if body.get("logprobs") else None
            data = {"id": "cmpl-1", "object": "text_completion", "created": NOW, "model": body["model"],
                    "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": logprobs}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}}
            return httpx2.Response(200, json=_validated(Completion, data))
        if method == "POST" and path == "/chat/completions":
            body = json.loads(request.content)
            self.inference_bodies.append(body)
            text, tops = self.answer(body["messages"][-1]["content"])
            logprobs = {"content": [{"token": text, "logprob": max(tops.values()) if tops else 0.0, "bytes": None,
                                     "top_logprobs": [{"token": t, "logprob": lp, "bytes": None} for t, lp in tops.items()]}],
                        "refusal": None} if body.get("logprobs") else None
            data = {"id": "chatcmpl-1", "object": "chat.completion", "created": NOW, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": logprobs,
                                 "message": {"role": "assistant", "content": text, "refusal": None}}],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13}}
            return httpx2.Response(200, json=_validated(ChatCompletion, data))
        return self._error(404, f"Invalid URL ({method} {path})", None)

    def _page(self, items: list[dict], request: httpx2.Request, kind: Any) -> httpx2.Response:
        after = request.url.params.get("after")
        limit = int(request.url.params.get("limit", 20))
        if after is not None:
            ids = [item["id"] for item in items]
            items = items[ids.index(after) + 1:] if after in ids else []
        return httpx2.Response(200, json={"object": "list", "data": [_validated(kind, i) for i in items[:limit]],
                                          "has_more": len(items) > limit})

    def _upload(self, request: httpx2.Request) -> httpx2.Response:
        message = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.get_payload()}
        purpose = parts["purpose"].get_payload(decode=True).decode()
        content = parts["file"].get_payload(decode=True)
        self.uploads += 1
        file_id = f"file-{len(self.files) + 1:04d}abc"
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(content), "created_at": NOW,
                               "filename": parts["file"].get_filename(), "purpose": purpose, "status": "uploaded"}
        self.contents[file_id] = content
        return httpx2.Response(200, json=_validated(FileObject, self.files[file_id]))

    def _create_job(self, body: dict) -> httpx2.Response:
        if body["training_file"] not in self.files:
            return self._error(400, f"invalid training_file: {body['training_file']}", "invalid_training_file")
        job_id = f"ftjob-{len(self.jobs) + 1:04d}xyz"
        method = body.get("method") or {"type": "supervised", "supervised": {}}
        chosen = method.get(method["type"], {}).get("hyperparameters", {})
        job = {
            "id": job_id, "object": "fine_tuning.job", "created_at": NOW + len(self.jobs), "error": None,
            "fine_tuned_model": None, "finished_at": None, "model": body["model"], "organization_id": "org-acme",
            "result_files": [], "seed": body.get("seed", 42), "status": "validating_files", "trained_tokens": None,
            "training_file": body["training_file"], "validation_file": body.get("validation_file"),
            "hyperparameters": {"n_epochs": chosen.get("n_epochs", "auto"), "batch_size": chosen.get("batch_size", "auto"),
                                "learning_rate_multiplier": chosen.get("learning_rate_multiplier", "auto")},
            "method": {"type": method["type"], method["type"]: {"hyperparameters": {
                "n_epochs": chosen.get("n_epochs", "auto"), "batch_size": chosen.get("batch_size", "auto"),
                "learning_rate_multiplier": chosen.get("learning_rate_multiplier", "auto")}}},
            "metadata": body.get("metadata"), "suffix": body.get("suffix"),
        }
        job.pop("suffix")
        self.jobs[job_id] = job
        self.events[job_id] = []
        self._event(job, "info", f"Created fine-tuning job: {job_id}")
        return httpx2.Response(200, json=_validated(FineTuningJob, job))

    def _event(self, job: dict, level: str, message: str, data: dict | None = None) -> None:
        events = self.events[job["id"]]
        events.append({"id": f"ftevent-{job['id'][-7:]}-{len(events) + 1:03d}", "object": "fine_tuning.job.event",
                       "created_at": NOW + len(events), "level": level, "message": message, "data": data,
                       "type": "metrics" if data else "message"})

    def _advance(self, job: dict) -> None:
        """Each retrieval moves a job one step: validating_files, queued, running, finished."""
        status = job["status"]
        if status == "validating_files":
            job["status"] = "queued"
            self._event(job, "info", "Validating training file: " + job["training_file"])
        elif status == "queued":
            job["status"] = "running"
            self._event(job, "info", "Fine-tuning job started")
            self.checkpoints[job["id"]] = [{
                "id": "ftckpt-1", "object": "fine_tuning.job.checkpoint", "created_at": NOW, "fine_tuning_job_id": job["id"],
                "fine_tuned_model_checkpoint": f"ft:{job['model']}:acme::abc123:ckpt-step-2", "step_number": 2,
                "metrics": {"step": 2, "train_loss": 1.9, "train_mean_token_accuracy": 0.55}}]
            for step in (1, 2):
                self._event(job, "info", f"Step {step}/5: training loss={2.5 - step * 0.3:.2f}", {"step": step})
        elif status == "running":
            job["status"] = self.finish_as
            job["finished_at"] = NOW + 60
            if self.finish_as == "failed":
                job["error"] = {"code": "invalid_training_file", "message": "The job failed due to an invalid training file.", "param": "training_file"}
                self._event(job, "error", "The job failed due to an invalid training file.")
                return
            job["fine_tuned_model"] = f"ft:{job['model']}:acme::abc123"
            job["trained_tokens"] = 12_345
            job["hyperparameters"] = {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 2}
            job["method"][job["method"]["type"]]["hyperparameters"] = dict(job["hyperparameters"])
            csv = CURRENT_RESULTS if self.results_layout == "current" else LEGACY_RESULTS
            result_id = f"file-result{len(self.files) + 1}"
            self.files[result_id] = {"id": result_id, "object": "file", "bytes": len(csv), "created_at": NOW,
                                     "filename": "step_metrics.csv", "purpose": "fine-tune-results", "status": "processed"}
            self.contents[result_id] = base64.b64encode(csv.encode())
            job["result_files"] = [result_id]
            self._event(job, "info", "New fine-tuned model created")
            self._event(job, "info", "The job has successfully completed")
