"""Reads an MLflow experiment back through MLflow's own client and prints its runs as JSON:
per runner run id, the MLflow runs carrying it (their count: duplicates show), params, tags,
status, every metric's history ([[step, value], ...]) and the artifact paths. Used by
tests/mlflow.rs to check what `runner export mlflow` wrote."""

import json
import sys

from mlflow.tracking import MlflowClient


def main(uri, experiment):
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    out = {}
    for run in client.search_runs([exp.experiment_id], max_results=10000):
        data = run.data
        rid = data.tags.get("runner.run_id", "")
        metrics = {
            key: [[m.step, m.value] for m in client.get_metric_history(run.info.run_id, key)]
            for key in data.metrics
        }
        artifacts = [a.path for a in client.list_artifacts(run.info.run_id)]
        entry = out.setdefault(rid, {"count": 0})
        entry["count"] += 1
        entry.update(
            params=data.params,
            tags=data.tags,
            status=run.info.status,
            metrics=metrics,
            artifacts=sorted(artifacts),
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
