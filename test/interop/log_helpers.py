"""MLflow Python's side of log-helpers.spec.ts.

    log_helpers.py control <tracking_uri> <experiment> <content.json>
        Logs the content with MLflow's own log_dict / log_text / log_table / log_image
        into a new control run; prints its run id.
    log_helpers.py compare <tracking_uri> <experiment> <content.json> <control_run> <edge_run>
        Reads both runs back as a user would (mlflow.artifacts.load_dict / load_text,
        MlflowClient.load_table, the images/ listing the Image chart reads) and prints
        a JSON report of what differs.
"""

import json
import re
import sys
import tempfile

import mlflow
import numpy as np
import pandas as pd
import yaml
from mlflow import MlflowClient
from PIL import Image

IMAGE_FILE = re.compile(
    r"^images/(?P<key>.+)\+step\+(?P<step>\d+)\+timestamp\+(?P<ts>\d+)\+(?P<uuid>[0-9a-f-]{36})(?P<kind>\.png|\+compressed\.webp)$"
)


def pixels(image):
    return np.array(image["data"], dtype=np.uint8).reshape(image["shape"])


def control(client, experiment, content):
    exp_id = mlflow.set_experiment(experiment).experiment_id
    run_id = client.create_run(exp_id, run_name="python-control").info.run_id
    for d in content["dicts"]:
        client.log_dict(run_id, d["value"], d["file"])
    for t in content["texts"]:
        client.log_text(run_id, t["value"], t["file"])
    for t in content["tables"]:
        for data in t["calls"]:
            # Rows as a list of dicts are what pandas.DataFrame(records) takes; log_table takes the frame.
            client.log_table(run_id, pd.DataFrame(data) if isinstance(data, list) else data, t["file"])
    for i in content["images"]:
        client.log_image(run_id, pixels(i), key=i["key"], step=i["step"], timestamp=i["timestamp"], synchronous=True)
    client.log_image(run_id, pixels(content["images"][0]), artifact_file="plain/image.png")
    client.set_terminated(run_id)
    print(json.dumps({"runId": run_id}))


def images_of(client, run_id, tmp):
    out = {}
    for f in client.list_artifacts(run_id, "images"):
        m = IMAGE_FILE.match(f.path)
        if m is None:
            out[f.path] = "unexpected file name"
            continue
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=f.path, dst_path=tmp)
        image = Image.open(local)
        image.load()
        entry = {"format": image.format, "mode": image.mode, "size": list(image.size)}
        if m["kind"] == ".png":
            entry["pixels"] = np.asarray(image).tolist()
        out[f"{m['key']}|{m['step']}|{m['ts']}|{m['kind']}"] = entry
    return out


def compare(client, experiment, content, control_run, edge_run):
    exp_id = client.get_experiment_by_name(experiment).experiment_id
    diffs = []
    checked = []

    def same(what, a, b):
        checked.append(what)
        if a != b:
            diffs.append({"what": what, "python": a, "edge": b})

    def raw(run_id, path, tmp):
        local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=tmp)
        with open(local, "rb") as f:
            return f.read().decode("utf-8")

    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        for d in content["dicts"]:
            # load_dict reads JSON only; YAML is read back as its text with yaml.safe_load.
            if d["file"].endswith((".yaml", ".yml")):
                loaded = [yaml.safe_load(mlflow.artifacts.load_text(f"runs:/{r}/{d['file']}")) for r in (control_run, edge_run)]
                same(f"load_text+yaml {d['file']}", *loaded)
            else:
                same(f"load_dict {d['file']}", mlflow.artifacts.load_dict(f"runs:/{control_run}/{d['file']}"),
                     mlflow.artifacts.load_dict(f"runs:/{edge_run}/{d['file']}"))
            same(f"bytes {d['file']}", raw(control_run, d["file"], a), raw(edge_run, d["file"], b))
        for t in content["texts"]:
            same(f"load_text {t['file']}", mlflow.artifacts.load_text(f"runs:/{control_run}/{t['file']}"),
                 mlflow.artifacts.load_text(f"runs:/{edge_run}/{t['file']}"))
        for t in content["tables"]:
            tables = [
                client.load_table(exp_id, t["file"], run_ids=[r], extra_columns=[]) for r in (control_run, edge_run)
            ]
            # Gaps as None: NaN != NaN would report equal tables as different.
            plain = [x.astype(object).where(x.notna(), None).to_dict(orient="split") for x in tables]
            same(f"load_table {t['file']}", *plain)
            same(f"dtypes {t['file']}", [str(x) for x in tables[0].dtypes], [str(x) for x in tables[1].dtypes])
            same(f"bytes {t['file']}", raw(control_run, t["file"], a), raw(edge_run, t["file"], b))
        tags = [client.get_run(r).data.tags for r in (control_run, edge_run)]
        for key in ("mlflow.loggedArtifacts", "mlflow.loggedImages"):
            same(f"tag {key}", tags[0].get(key), tags[1].get(key))
        images = [images_of(client, r, d) for r, d in ((control_run, a), (edge_run, b))]
        same("image files", sorted(images[0]), sorted(images[1]))
        for name in sorted(set(images[0]) & set(images[1])):
            p, e = images[0][name], images[1][name]
            if name.endswith(".png"):
                same(f"image {name}", p, e)
            else:
                # The thumbnail: WebP of the size compress_image_size makes (PIL's is lossy, ours lossless).
                same(f"thumbnail {name}", [p["format"], p["size"]], [e["format"], e["size"]])
        plain = []
        for r, d in ((control_run, a), (edge_run, b)):
            image = Image.open(mlflow.artifacts.download_artifacts(run_id=r, artifact_path="plain/image.png", dst_path=d))
            plain.append([image.format, image.mode, np.asarray(image).tolist()])
        same("plain/image.png", plain[0], plain[1])
    print(json.dumps({"checked": checked, "diffs": diffs}, default=str))


def main():
    mode, uri, experiment, content_file = sys.argv[1:5]
    mlflow.set_tracking_uri(uri)
    with open(content_file, encoding="utf-8") as f:
        content = json.load(f)
    client = MlflowClient()
    if mode == "control":
        control(client, experiment, content)
    else:
        compare(client, experiment, content, *sys.argv[5:7])


if __name__ == "__main__":
    main()
