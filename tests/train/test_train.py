import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from lib.files import HOST, locked
from lib.measure import storage_bytes
from lib.models import REGISTRY, build, save_weights
from lib.models.anchors import kmeans_anchors
from lib.models.io import copy_of
from lib.params import ParamError, from_dict
from lib.paths import BEST, LAST, METRICS
from lib.profiles import profile_params
from lib.train import train
from lib.data import DatasetError
from lib.train.run import IN_PLACE, activations_in_place, dataset_anchors, open_data, training_form
from lib.train.__main__ import main
from lib.train.checkpoint import atomic_save, load_checkpoint
from tests.data.formats import voc_object, write_split, write_voc_item

ROOT = Path(__file__).resolve().parents[1]
TIMING = ("train_img_per_s",)


@pytest.fixture
def cache(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("STUDY_CACHE", str(folder))
    return folder


def smoke(**overrides):
    return profile_params("smoke", **{"model.name": "yolov3-tiny", **overrides})


def without_timing(history):
    return [{k: v for k, v in h.items() if k not in TIMING} for h in history]


KILLER = """
import os, signal, sys
from lib.profiles import profile_params
from lib.train import Callback, train

class Kill(Callback):
    def on_epoch_start(self, ctx):
        if ctx.epoch == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # dies like a killed job, mid-run

train(profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 3}), sys.argv[1], [Kill()])
"""


def test_killed_run_resumes_to_identical_weights_and_metrics(cache, tmp_path):
    straight = train(smoke(**{"train.epochs": 3}), tmp_path / "straight", log=lambda _: None)
    killed = subprocess.run([sys.executable, "-c", KILLER, str(tmp_path / "killed")], cwd=ROOT,
                            env={**os.environ, "STUDY_CACHE": str(cache)}, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert load_checkpoint(tmp_path / "killed" / LAST)["epoch"] == 1  # two epochs done, the third lost
    resumed = train(smoke(**{"train.epochs": 3}), tmp_path / "killed", log=lambda _: None)
    a, b = (load_checkpoint(tmp_path / d / LAST) for d in ("straight", "killed"))
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert without_timing(straight["history"]) == without_timing(resumed["history"])
    assert straight["test"] == resumed["test"]


def test_a_finished_run_is_not_trained_again(cache, tmp_path):
    first = train(smoke(), tmp_path, log=lambda _: None)
    stamp = (tmp_path / LAST).stat().st_mtime_ns
    assert train(smoke(), tmp_path, log=lambda _: None) == first
    assert (tmp_path / LAST).stat().st_mtime_ns == stamp
    metrics = json.loads((tmp_path / METRICS).read_text())
    assert metrics["epochs"] == 2 and set(metrics["test"]) >= {"map50", "map", "ap_small", "ap50_per_class"}


def test_two_process_gloo_ddp_writes_the_same_checkpoint_format(cache, tmp_path):
    single = tmp_path / "single"
    train(smoke(**{"train.epochs": 1}), single, log=lambda _: None)
    command = [str(Path(sys.executable).with_name("torchrun")), "--standalone", "--nproc_per_node", "2",
               "-m", "lib.train", "--profile", "smoke", "--model", "yolov3-tiny", "--epochs", "1",
               "--device", "cpu", "--run-dir", str(tmp_path / "ddp")]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "STUDY_CACHE": str(cache), "OMP_NUM_THREADS": "1"},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    a, b = load_checkpoint(single / LAST), load_checkpoint(tmp_path / "ddp" / LAST)
    assert a.keys() == b.keys() and a["model"].keys() == b["model"].keys()  # no "module." prefixes
    assert (tmp_path / "ddp" / METRICS).exists() and "images/s" in result.stdout


def test_ddp_processes_all_return_when_the_run_they_waited_for_was_finished_meanwhile(cache, tmp_path):
    finished_elsewhere, run = tmp_path / "finished", tmp_path / "run"
    train(smoke(**{"train.epochs": 1}), finished_elsewhere, log=lambda _: None)
    command = [str(Path(sys.executable).with_name("torchrun")), "--standalone", "--nproc_per_node", "2",
               "-m", "lib.train", "--profile", "smoke", "--model", "yolov3-tiny", "--epochs", "1",
               "--device", "cpu", "--run-dir", str(run)]
    env = {**os.environ, "STUDY_CACHE": str(cache), "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    with locked(run, "the run folder", "busy"):  # another training holds the folder
        ddp = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        printed = []
        while not any("in use by pid" in line for line in printed):  # the main process waits for the folder
            printed.append(ddp.stdout.readline())
            assert printed[-1] or ddp.poll() is None, "".join(printed)[-3000:]
        for file in finished_elsewhere.iterdir():  # meanwhile the other training finishes the run
            if not file.name.startswith("."):
                (run / file.name).write_bytes(file.read_bytes())
    try:
        rest, _ = ddp.communicate(timeout=120)  # every process returns: none waits for the main one in DDP
    finally:
        ddp.kill()
    assert ddp.returncode == 0, ("".join(printed) + rest)[-3000:]
    assert "epoch 1/1" not in rest and (run / METRICS).read_bytes() == (finished_elsewhere / METRICS).read_bytes()


@pytest.mark.parametrize("overrides,field", [
    ({"model.name": "yolov9"}, "model.name"),
    ({"train.epochs": 0}, "train.epochs"),
    ({"train.batch_size": 0}, "train.batch_size"),
    ({"data.img_size": 100}, "data.img_size"),
    ({"data.dataset": "voc"}, "data.data_root: required"),
    ({"data.dataset": "exdark", "data.data_root": "/no/such/folder"}, "data.data_root: folder"),
    ({"data.multiscale": (320, 256)}, "data.multiscale"),
    ({"data.builtin_classes": ("circle", "blob")}, "data.builtin_classes: expected names"),
    ({"data.builtin_min_object_size": 0.0}, "data.builtin_min_object_size"),
    ({"data.builtin_max_objects": "3"}, "data.builtin_max_objects: expected int, got '3'"),  # by its type
    ({"data.builtin_classes": 1e999}, r"data.builtin_classes: expected tuple\[str, ...\], got inf"),  # (fuzzed)
    ({"model.zero_init_residual": "yes"}, "model.zero_init_residual: expected True or False, got 'yes'"),
    ({"data.data_root": "/data/VOCdevkit"}, "data.data_root: the built-in dataset 'builtin' is generated and takes no"),
    ({"data.dataset": "voc", "data.data_root": "/", "data.year": 2007}, "data.year: applies to vocformat only"),
    # every numeric field in its range, nan and inf refused (not a TypeError, not iteration 1)
    ({"train.lr0": float("nan")}, r"train.lr0: expected a finite number in \(0, 1\], got nan"),
    ({"train.lr0": float("inf")}, r"train.lr0: expected a finite number in \(0, 1\], got inf"),
    ({"train.lr0": "nan"}, r"train.lr0: expected a finite number in \(0, 1\], got 'nan'"),
    ({"train.lr0": -0.01}, "train.lr0: expected"),
    ({"train.momentum": -0.5}, r"train.momentum: expected a finite number in \[0, 1\)"),
    ({"train.weight_decay": float("nan")}, "train.weight_decay"),
    ({"train.cls_gain": -1.0}, "train.cls_gain"),
    ({"train.seed": -1}, r"train.seed: expected an integer in \[0, 4,294,967,295\], got -1"),
    ({"train.seed": 2 ** 40}, "train.seed"),
    ({"train.seed": 1.5}, "train.seed"),
    ({"train.conf": float("nan")}, "train.conf"),
    ({"train.warmup_min_iters": -3}, "train.warmup_min_iters"),
    ({"model.width": float("inf")}, "model.width"),
    ({"data.augment.hue": 2.0}, "data.augment.hue"),
    ({"data.augment.scale": (1.5, float("nan"))}, "data.augment.scale"),
    ({"data.builtin_classes": ("circle", "star", "circle")}, "data.builtin_classes: each class once"),
])
def test_bad_parameters_fail_before_training(overrides, field):
    with pytest.raises(ParamError, match=field):
        profile_params("smoke", **overrides)


def test_checkpoint_from_another_model_is_refused(cache, tmp_path):
    train(smoke(**{"model.name": "yolo-nano", "train.epochs": 1}), tmp_path, log=lambda _: None)
    (tmp_path / METRICS).unlink()
    with pytest.raises(ParamError, match="checkpoint of model .*yolo-nano"):
        train(smoke(**{"train.epochs": 1}), tmp_path, log=lambda _: None)


def test_unknown_parameter_and_profile_are_named():
    with pytest.raises(ParamError, match="train.epoch: not a parameter"):
        profile_params("smoke", **{"train.epoch": 3})
    with pytest.raises(ParamError, match="data.augment.mosaik: not a parameter"):
        profile_params("smoke", **{"data.augment.mosaik": 0.5})
    assert profile_params("smoke", **{"data.augment.mosaic": 0.25}).data.augment.mosaic == 0.25
    with pytest.raises(ParamError, match="profile: unknown profile 'gpu'"):
        profile_params("gpu")



@pytest.mark.parametrize("profile", ["smoke", "cpu", "paper"])
def test_parameters_survive_a_json_round_trip(profile, tmp_path):
    """A run's parameters are read back from its JSON (figures, resumed studies):
    they must compare equal and name the same run."""
    params = profile_params(profile, **({"data.data_root": str(tmp_path)} if profile == "paper" else {}))
    back = from_dict(json.loads(json.dumps(params.to_dict())))
    assert back == params and back.run_hash() == params.run_hash()


def test_the_built_in_datasets_difficulty_reaches_its_spec(cache):
    params = profile_params("smoke", **{"data.builtin_classes": ("circle", "star"), "data.builtin_max_objects": 2})
    index = open_data(params)["val"]
    assert tuple(index.classes) == ("circle", "star")
    assert max(len(r.boxes) for r in index.records) <= 2
    assert params.run_hash() != profile_params("smoke").run_hash()

def test_command_line_overrides(cache, tmp_path, capsys):
    metrics = main(["--profile", "smoke", "--model", "yolov3-tiny", "--epochs", "1", "--set", "train.lr0=0.005",
                    "--run-dir", str(tmp_path)])
    assert metrics["params"]["train"]["lr0"] == 0.005 and metrics["params"]["train"]["epochs"] == 1
    assert "images/s" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--profile", "smoke", "--set", "train.lr0"])


def test_kmeans_anchors_find_the_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[10, 12], [30, 20], [20, 60], [80, 90], [150, 60], [200, 220]], float)
    wh = np.concatenate([c * rng.uniform(0.95, 1.05, (50, 2)) for c in centres])
    anchors = np.array(kmeans_anchors(wh, 6))
    assert np.allclose(anchors, centres, rtol=0.06)
    assert kmeans_anchors(wh, 6) == kmeans_anchors(wh, 6)
    with pytest.raises(ValueError, match="anchors"):
        kmeans_anchors(wh[:3], 6)


@pytest.mark.parametrize("model, boxes", [("yolov3-tiny", 5), ("yolov3", 8)])
def test_a_training_split_with_fewer_boxes_than_anchors_is_a_dataset_error_before_any_model(tmp_path, model, boxes):
    for i in range(boxes + 2):
        write_voc_item(tmp_path, f"i{i}", [voc_object("cat", (1, 1, 20, 20))])
    write_split(tmp_path, "train", [f"i{i}" for i in range(boxes)])
    write_split(tmp_path, "val", [f"i{boxes}"])
    write_split(tmp_path, "test", [f"i{boxes + 1}"])
    params = smoke(**{"data.dataset": "vocformat", "data.data_root": str(tmp_path), "model.name": model})
    with pytest.raises(DatasetError, match=rf"vocformat train split: {boxes} box\(es\) in {boxes} image\(s\); "
                                           rf"{model}'s anchors are fitted by k-means to {boxes + 1} boxes at least"):
        dataset_anchors(params, open_data(params)["train"])


def test_weights_saved_from_a_run_load_back(cache, tmp_path):
    train(smoke(**{"train.epochs": 1}), tmp_path, log=lambda _: None)
    blob = torch.load(tmp_path / BEST, weights_only=True)
    model = build(**blob["arch"])
    model.load_state_dict(blob["state_dict"])
    save_weights(model, tmp_path / "copy.pt")
    # the study's storage figure is the size of the file it writes, byte for byte, whatever its name
    assert (tmp_path / "copy.pt").stat().st_size == (tmp_path / BEST).stat().st_size == storage_bytes(model)


def test_ctrl_c_ends_a_training_with_one_line_that_says_how_to_resume(cache, tmp_path):
    command = [sys.executable, "-m", "lib.train", "--profile", "smoke", "--model", "yolov3-tiny", "--epochs", "50",
               "--run-dir", str(tmp_path / "run")]
    # the child gets Ctrl-C's default disposition, as in a terminal: a test run in the background
    # of a non-interactive shell inherits SIGINT ignored, and the training would never see it
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "STUDY_CACHE": str(cache)}, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not (tmp_path / "run" / LAST).exists() and process.poll() is None:  # one epoch done
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"interrupted; {tmp_path / 'run'} keeps every finished epoch: "
                                            "run the same command to resume")


def test_a_bad_parameter_on_the_command_line_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lib.train", "--profile", "smoke", "--data-root", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("ParamError: data.data_root: the built-in dataset 'builtin' is generated and takes "
                                     f"no data root (got '{tmp_path}'); to read your data, set data.dataset to voc, "
                                     "exdark or vocformat")


def test_a_full_disk_or_a_killed_writer_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "state.pt"
    atomic_save({"epoch": 1}, path)

    def no_space(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    with monkeypatch.context() as patch:
        patch.setattr(Path, "write_bytes", no_space)
        with pytest.raises(OSError, match="no space left on the device while writing .*state.pt; the previous"):
            atomic_save({"epoch": 2}, path)
    assert torch.load(path, weights_only=True) == {"epoch": 1} and list(tmp_path.iterdir()) == [path]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT)
    time.sleep(1.5)  # many large writes under way
    writer.kill()
    writer.wait()
    assert torch.load(path, weights_only=True)["epoch"] >= 1  # whole, whichever write it was


WRITER = """
import sys, torch
from pathlib import Path
from lib.train.checkpoint import atomic_save
for epoch in range(2, 10_000):
    atomic_save({"epoch": epoch, "weights": torch.rand(2_000_000)}, Path(sys.argv[1]))
"""


def test_a_profiles_per_model_settings_apply_to_that_model_only_and_yield_to_overrides():
    from lib.profiles import get_profile
    cpu = get_profile("cpu")
    nano = profile_params("cpu", **{"model.name": "yolo-nano"})
    dense = profile_params("cpu", **{"model.name": "yolov3"})
    assert nano.train.epochs == cpu.per_model["yolo-nano"]["train.epochs"] != dense.train.epochs
    assert dense.train.epochs == cpu.overrides["train.epochs"]
    assert profile_params("cpu", **{"model.name": "yolo-nano", "train.epochs": 3}).train.epochs == 3
    assert nano.model.zero_init_residual and not profile_params("paper", **{"data.data_root": "."}).model.zero_init_residual


@pytest.mark.parametrize("name", ["yolov3-tiny", "yolov3-mobile"])
def test_the_training_form_changes_the_memory_order_not_the_outputs(name):
    torch.manual_seed(0)
    model, x = build(name, num_classes=3, width=0.125).eval(), torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        before = [t.clone() for t in model(x)]
        laid = training_form(model)
        after = laid(x)
    kernel = next(m.weight for m in laid.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3))
    assert kernel.is_contiguous(memory_format=torch.channels_last)
    assert len(after) == len(before) and all(torch.allclose(a, b, atol=1e-5) for a, b in zip(after, before))


@pytest.mark.parametrize("name,activation", [(name, None) for name in REGISTRY] +
                         [("yolo-nano", "leaky"), ("yolov3-mobile", "leaky")])
def test_activations_in_place_give_the_plain_models_outputs_and_gradients_exactly(name, activation):
    """In place, an activation overwrites its input: wrong wherever that input is read
    again (a residual's skip, a route) or its gradient needs it (hard-swish)."""
    torch.manual_seed(0)
    plain = build(name, num_classes=3, width=0.125, activation=activation).train()
    formed = activations_in_place(copy_of(plain).train())
    assert any(m.inplace for m in formed.modules() if isinstance(m, IN_PLACE))
    x = torch.rand(2, 3, 64, 64)
    outputs = [model(x) for model in (plain, formed)]
    assert all(torch.equal(want, got) for want, got in zip(*outputs))
    for out in outputs:
        sum(o.square().mean() for o in out).backward()
    assert all(torch.equal(want.grad, got.grad) for want, got in zip(plain.parameters(), formed.parameters()))


def test_a_run_folder_trains_in_one_process_at_a_time_and_loses_its_dead_leftovers(cache, tmp_path, dead_pid):
    run, logged = tmp_path / "run", []
    leftover = run / f".last.pt.tmp-{HOST}-{dead_pid}-1"  # a writer killed mid-write
    with locked(run, "the run folder", "busy"):  # another process's training, as this one sees it
        leftover.write_bytes(b"half a checkpoint")
        second = threading.Thread(target=lambda: logged.append(train(smoke(**{"train.epochs": 1}), run,
                                                                     log=logged.append)))
        second.start()
        time.sleep(3)
        assert not (run / LAST).exists() and "in use by pid" in logged[0]  # it waits, training nothing
    second.join(timeout=300)
    assert logged[-1]["epochs"] == 1 and not leftover.exists()
