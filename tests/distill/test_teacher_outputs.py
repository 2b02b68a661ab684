"""The teacher's outputs, stored per epoch by the first run distilled from a teacher
and read by the runs beside it: the same numbers, without the teacher's forward."""
import pytest
import torch

import lib.distill as distill
from lib.distill import GANParams, KDParams, run_kd
from lib.distill import teacher as teacher_module
from lib.distill.hints import STUDENT_TAPS
from lib.distill.teacher import HINT_LAYERS, TeacherOutputs
from lib.models import build
from lib.paths import BEST
from lib.profiles import profile_params
from lib.train import freeze, train


def test_every_hint_layer_a_student_may_read_is_kept():
    assert {str(layer) for taps in STUDENT_TAPS.values() for layer in taps} <= set(HINT_LAYERS)


@pytest.fixture(scope="module")
def trained_teacher(tmp_path_factory):
    folder = tmp_path_factory.mktemp("teacher")
    train(profile_params("smoke", **{"model.name": "yolov3", "train.epochs": 1}), folder, log=lambda _: None)
    return folder / BEST


def counting_teacher(monkeypatch) -> list[int]:
    """Counts the teacher's forward passes in the runs that follow."""
    calls = []

    def load(path):
        teacher = teacher_module.load_teacher(path)
        teacher.register_forward_hook(lambda *_: calls.append(1))
        return teacher
    monkeypatch.setattr(distill, "load_teacher", load)
    return calls


BATCHES = 2  # a smoke epoch: 16 training images in batches of 8


def student(epochs: int = 2):
    return profile_params("smoke", **{"model.name": "yolo-nano", "model.activation": "leaky", "train.epochs": epochs})


def losses(metrics: dict) -> list[dict]:
    return [{k: v for k, v in h.items() if k != "train_img_per_s"} for h in metrics["history"]]


def test_a_second_run_reads_the_first_runs_teacher_outputs_and_learns_the_same(trained_teacher, tmp_path, monkeypatch):
    calls = counting_teacher(monkeypatch)
    quiet = {"log": lambda _: None}
    run_kd(student(), trained_teacher, GANParams(), tmp_path / "shared", **quiet)  # stores what it computes
    stored = sorted(p.name for p in (tmp_path / "shared").glob("teacher-outputs-*/*.pt"))
    assert stored == ["epoch-0000.pt"]  # GAN's adversarial epochs only: the first 2/3 of 2
    calls.clear()
    reading = run_kd(student(), trained_teacher, KDParams(hints=(36, 61)), tmp_path / "shared", **quiet)
    # one forward to match the hint layers' shapes, then the second epoch's batches (not stored)
    assert len(calls) == 1 + BATCHES
    computing = run_kd(student(), trained_teacher, KDParams(hints=(36, 61)), tmp_path / "alone", **quiet)
    assert losses(reading) == losses(computing) and reading["test"] == computing["test"]


def test_other_batches_do_not_read_stored_outputs(trained_teacher, tmp_path, monkeypatch):
    calls = counting_teacher(monkeypatch)
    run_kd(student(1), trained_teacher, KDParams(), tmp_path, log=lambda _: None)
    calls.clear()
    other_seed = profile_params("smoke", **{"model.name": "yolo-nano", "model.activation": "leaky",
                                            "train.epochs": 1, "train.seed": 1})
    run_kd(other_seed, trained_teacher, KDParams(), tmp_path, log=lambda _: None)
    assert len(calls) == 1 + BATCHES  # the shape check, then every batch of its epoch
    assert len(list(tmp_path.glob("teacher-outputs-*"))) == 2


def test_a_stored_batch_whose_images_differ_is_computed_afresh(tmp_path):
    torch.manual_seed(0)
    teacher = freeze(build("yolov3", 3, width=0.125))
    first, other = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    writer = TeacherOutputs(teacher, tmp_path)
    writer.start_epoch(0)
    writer(0, first)
    writer.end_epoch(0, batches=1)
    reader = TeacherOutputs(teacher, tmp_path)
    reader.start_epoch(0)
    maps, features = reader(0, other)
    with torch.no_grad():
        expected = teacher(other)
    assert all(torch.equal(m, e) for m, e in zip(maps, expected)) and set(features) == set(HINT_LAYERS)
    stored_maps, _ = reader(0, first)
    assert all(torch.equal(m, e) for m, e in zip(stored_maps, teacher(first)))


def test_outputs_too_large_for_the_disk_budget_are_not_stored(tmp_path, monkeypatch):
    monkeypatch.setattr(teacher_module, "MAX_EPOCH_BYTES", 1000)
    teacher = freeze(build("yolov3", 3, width=0.125))
    outputs = TeacherOutputs(teacher, tmp_path)
    outputs.start_epoch(0)
    outputs(0, torch.rand(2, 3, 64, 64))
    outputs.end_epoch(0, batches=1)
    assert not list(tmp_path.iterdir())
