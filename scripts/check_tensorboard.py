"""Reads a TensorBoard log directory with TensorBoard's own event reader and prints, per run,
its scalars (tag -> [[step, value], ...]), its HParams session (hparams, group, status) as JSON.
Used by tests/tensorboard.rs to check the event files runner writes."""

import json
import os
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import plugin_data_pb2


def hparams_of(acc):
    out = {}
    for tag in acc.Tags()["tensors"]:
        meta = acc.SummaryMetadata(tag)
        if meta.plugin_data.plugin_name != "hparams":
            continue
        data = plugin_data_pb2.HParamsPluginData.FromString(meta.plugin_data.content)
        which = data.WhichOneof("data")
        if which == "session_start_info":
            start = data.session_start_info
            values = {}
            for key, v in start.hparams.items():
                kind = v.WhichOneof("kind")
                values[key] = getattr(v, kind)
            out["hparams"] = values
            out["group"] = start.group_name
        elif which == "session_end_info":
            out["status"] = int(data.session_end_info.status)
    return out


def main(logdir):
    runs = {}
    for name in sorted(os.listdir(logdir)):
        path = os.path.join(logdir, name)
        if not os.path.isdir(path):
            continue
        acc = event_accumulator.EventAccumulator(
            path, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0}
        )
        acc.Reload()
        scalars = {
            tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]
        }
        runs[name] = {"scalars": scalars, **hparams_of(acc)}
    json.dump(runs, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
