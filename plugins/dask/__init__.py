"""`ftlint check --engine dask`: the same rules over sharded datasets on a Dask cluster (install
ftlint[dask]). Dask is imported only when a check asks for this engine."""
from __future__ import annotations

import argparse

from ftlint import RunResult, api, hookimpl


class DaskEngine:
    """Runs a check's plan (`ftlint.api.Plan`) on a Dask cluster: see `ftlint_plugins.dask.cluster`."""

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--scheduler", metavar="ADDRESS",
                            help="the Dask scheduler to run on, e.g. tcp://10.0.0.5:8786 (default: a local cluster sized to this machine)")
        parser.add_argument("--shard-output", metavar="DIR",
                            help="with --fix: write the fixed shards, and each one's .removed.jsonl, to DIR (the inputs stay as they are)")

    def run(self, plan: api.PlanFactory, args: argparse.Namespace) -> RunResult:
        cluster = api.import_extra("ftlint_plugins.dask.cluster", "dask", "--engine dask")
        result: RunResult = cluster.run(plan, args)
        return result


@hookimpl
def ftlint_get_engines() -> dict[str, DaskEngine]:
    return {"dask": DaskEngine()}
