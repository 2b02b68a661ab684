"""Model and checkpoint files that cannot be used give one error naming the file,
what is wrong and what to do, and never advise loading unsafely."""
import os

import pytest
import torch

from lib.distill import KDParams, run_kd
from lib.distill.teacher import TeacherOutputs
from lib.lowrank import tucker2
from lib.models import ModelFileError, build, io, load_weights, save_weights
from lib.paths import LAST, METRICS
from lib.profiles import profile_params
from lib.prune import load_sparse, magnitude_prune, save_sparse
from lib.quantize.ledger import load_encoded, save_encoded
from lib.quantize.run import CALIBRATION, load_int8
from lib.train import train


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.pt"
    save_weights(build("yolov3-tiny", 3, width=0.125), path)
    return path


def damaged(path, kind):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if kind == "truncated" else os.urandom(len(data)))
    return path


@pytest.mark.parametrize("kind", ["truncated", "random"])
def test_a_damaged_model_file_is_named_with_what_to_do(model_file, kind):
    with pytest.raises(ModelFileError, match=f"{model_file}: not a readable model file .*give the best.pt") as error:
        load_weights(damaged(model_file, kind))
    assert "weights_only" not in str(error.value)


def test_a_missing_foreign_or_mismatched_file_is_named(tmp_path, model_file):
    with pytest.raises(ModelFileError, match="nothing.pt: no model file there"):
        load_weights(tmp_path / "nothing.pt")
    torch.save(build("yolov3-tiny", 3, width=0.125).state_dict(), tmp_path / "plain.pt")
    with pytest.raises(ModelFileError, match="plain.pt: not a model file of this study"):
        load_weights(tmp_path / "plain.pt")
    blob = torch.load(model_file, weights_only=True)
    blob["arch"]["name"] = "yolov3"  # tiny's weights under YOLOv3's name
    torch.save(blob, tmp_path / "edited.pt")
    with pytest.raises(ModelFileError, match="edited.pt: .*the architecture it names .'yolov3'"):
        load_weights(tmp_path / "edited.pt")


@pytest.mark.parametrize("edit,message", [
    ({"width": 64.0}, r"layers.0.conv.weight is \(8, 3, 3, 3\), expected \(1024, 3, 3, 3\)"),  # 22 GB once
    ({"num_classes": 80}, r"is \(24, 64, 1, 1\), expected \(255, 64, 1, 1\)"),
    ({"depth": 3}, r"the architecture it names \('yolov3-tiny', width 0.125\) cannot be built"),
])
def test_an_edited_architecture_is_refused_before_any_module_is_allocated(tmp_path, model_file, monkeypatch, edit,
                                                                          message):
    blob = torch.load(model_file, weights_only=True)
    blob["arch"].update(edit)
    torch.save(blob, tmp_path / "edited.pt")
    devices = []

    def spy(*args, **kwargs):
        devices.append(torch.get_default_device().type)
        return build(*args, **kwargs)
    monkeypatch.setattr(io, "build", spy)
    with pytest.raises(ModelFileError, match=f"edited.pt: .*{message}"):
        load_weights(tmp_path / "edited.pt")
    assert set(devices) <= {"meta"}  # built only where nothing is allocated


def test_sparse_files_are_checked_the_same_way(tmp_path, model_file):
    model = build("yolov3-tiny", 3, width=0.125)
    magnitude_prune(model, 0.5, "layer")
    save_sparse(model, tmp_path / "sparse.pt")
    assert load_sparse(tmp_path / "sparse.pt").state_dict().keys() == model.state_dict().keys()
    with pytest.raises(ModelFileError, match="not a readable sparse model file"):
        load_sparse(damaged(tmp_path / "sparse.pt", "truncated"))
    with pytest.raises(ModelFileError, match="not a sparse model file"):
        load_sparse(model_file)


def test_a_damaged_checkpoint_or_teacher_says_what_to_do(tmp_path, monkeypatch, model_file):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    params = profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 1})
    train(params, tmp_path / "run", log=lambda _: None)
    (tmp_path / "run" / METRICS).unlink()  # unfinished: the next call resumes from its checkpoint
    damaged(tmp_path / "run" / LAST, "truncated")
    with pytest.raises(ModelFileError, match=f"{LAST}: not a readable checkpoint .*delete it to restart the run"):
        train(params, tmp_path / "run", log=lambda _: None)
    student = profile_params("smoke", **{"model.name": "yolo-nano", "model.activation": "leaky"})
    with pytest.raises(ModelFileError, match="model.pt: not a readable model file"):
        run_kd(student, damaged(model_file, "random"), KDParams(), tmp_path)


def flipped(path, where=0.5):
    """The file with one bit flipped inside it (at ``where`` of its length): a weight's
    byte, as a failing disk or a bad copy would change it."""
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x10
    path.write_bytes(bytes(data))
    return path


def test_a_flipped_byte_is_an_error_in_every_kind_of_model_file(tmp_path):
    """Without the archive's checksums checked, each of these loaded with one weight changed."""
    model = build("yolov3-tiny", 3, width=0.125)
    small = tucker2(build("yolov3-tiny", 3, width=0.25), rank_ratio=0.5)
    magnitude_prune(pruned := build("yolov3-tiny", 3, width=0.125), 0.5, "layer")
    files = {"model file": (lambda p: save_weights(model, p), load_weights),
             "factored model file": (lambda p: save_weights(small, p), load_weights),
             "sparse model file": (lambda p: save_sparse(pruned, p), load_sparse),
             "int8 encoded file": (lambda p: save_encoded(model, p, "int8"), load_encoded)}
    for name, (write, read) in files.items():
        path = tmp_path / f"{name.replace(' ', '-')}.pt"
        write(path)
        read(path)  # intact, it loads
        with pytest.raises(ModelFileError, match=f"{path}: not a readable .*does not match the checksum"):
            read(flipped(path))


def test_flipped_calibration_images_of_an_int8_run_are_an_error(tmp_path):
    torch.save(torch.rand(4, 3, 32, 32), tmp_path / CALIBRATION)
    flipped(tmp_path / CALIBRATION)
    with pytest.raises(ModelFileError, match=f"{CALIBRATION}: not a readable calibration images .*does not match"):
        load_int8(tmp_path)


def test_damaged_stored_teacher_outputs_are_computed_again_with_a_warning(tmp_path):
    teacher = build("yolov3", 3, width=0.125).eval()
    images = torch.rand(2, 3, 64, 64)
    store = TeacherOutputs(teacher, tmp_path)
    store.start_epoch(0)
    expected = store(0, images)
    store.end_epoch(0, 1)
    flipped(store.file(0), 0.6)
    again = TeacherOutputs(teacher, tmp_path)
    with pytest.warns(UserWarning, match="epoch-0000.pt: not a readable file of stored teacher outputs .*computed again"):
        again.start_epoch(0)
    maps, features = again(0, images)
    assert all(torch.equal(a, b) for a, b in zip(maps, expected[0]))
