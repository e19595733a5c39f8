"""The Python side of test/interop/lifecycle.spec.ts: reads back, with MLflow Python, what the
browser synced by its run and experiment calls, and prints it as one JSON line.

    .venv/bin/python test/interop/lifecycle_check.py <tracking uri> <json of run ids and experiment names>
"""

import json
import sys

from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

uri, arg = sys.argv[1:3]
ids = json.loads(arg)
client = MlflowClient(tracking_uri=uri)


def experiment(name):
    e = client.get_experiment_by_name(name)
    return {
        "id": e.experiment_id,
        "lifecycle_stage": e.lifecycle_stage,
        "tags": e.tags,
        "artifact_location": e.artifact_location,
    }


exps = {name: experiment(name) for name in ids["experiments"]}
print(
    json.dumps(
        {
            "runs": {key: client.get_run(run_id).info.lifecycle_stage for key, run_id in ids["runs"].items()},
            "experiments": exps,
            "search_active": sorted(e.name for e in client.search_experiments(filter_string="name LIKE 'life-%'")),
            "search_deleted": sorted(
                e.name
                for e in client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string="name LIKE 'life-%'")
            ),
            "search_tag": sorted(e.name for e in client.search_experiments(filter_string="tags.team = 'vision'")),
            "runs_active": sorted(
                r.info.run_name for r in client.search_runs([exps["life-main"]["id"]], run_view_type=ViewType.ACTIVE_ONLY)
            ),
            "runs_all": sorted(
                r.info.run_name for r in client.search_runs([exps["life-main"]["id"]], run_view_type=ViewType.ALL)
            ),
        }
    )
)
