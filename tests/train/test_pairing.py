"""Every pairing of a trained model with another model or with data checks classes and
anchors before any work, in one function (lib.train.run.check_task): a teacher and its
student (hint or GAN distillation), an int8 source and its data, a Tucker-2 or
channel-pruned source and the data it is fine-tuned on."""
import pytest

from lib.distill import GANParams, KDParams, run_kd
from lib.lowrank import LowRankParams, run_tucker2
from lib.models import build, save_weights
from lib.params import ParamError
from lib.profiles import profile_params
from lib.quantize import Int8Params, run_int8
from lib.train.run import check_task

SMOKE_CLASSES = len(profile_params("smoke").data.builtin_classes)
OTHER_ANCHORS = [(5.0 * i, 4.0 * i) for i in range(1, 10)]


pytestmark = pytest.mark.usefixtures("study_cache")


def trained_elsewhere(path, classes=SMOKE_CLASSES, anchors=OTHER_ANCHORS, name="yolov3"):
    save_weights(build(name, classes, width=0.125, anchors=anchors), path)
    return path


def test_check_task_names_the_classes_or_the_anchors_that_differ():
    model = build("yolov3", 3, width=0.125, anchors=OTHER_ANCHORS)
    check_task(model, 3, OTHER_ANCHORS, "teacher t.pt", "the student")  # the same task passes
    with pytest.raises(ParamError, match="teacher t.pt: predicts 3 classes, the student 4"):
        check_task(model, 4, OTHER_ANCHORS, "teacher t.pt", "the student")
    with pytest.raises(ParamError, match=r"teacher t.pt: its anchors \[\[5.0, 4.0\].* are not those of the student"):
        check_task(model, 3, [(6.0, 4.0), *OTHER_ANCHORS[1:]], "teacher t.pt", "the student")


@pytest.mark.parametrize("method", [KDParams(), GANParams()], ids=["hints", "gan"])
@pytest.mark.parametrize("classes", [SMOKE_CLASSES + 1, SMOKE_CLASSES], ids=["classes", "anchors"])
def test_a_teacher_of_another_task_is_refused_before_training(tmp_path, method, classes):
    teacher = trained_elsewhere(tmp_path / "teacher.pt", classes)
    student = profile_params("smoke", **{"model.name": "yolo-nano", "model.activation": "leaky"})
    with pytest.raises(ParamError, match=f"teacher {teacher}: (predicts|its anchors)"):
        run_kd(student, teacher, method, tmp_path / "runs")


def test_an_int8_source_of_other_classes_is_refused_before_calibration(tmp_path):
    source = trained_elsewhere(tmp_path / "source.pt", SMOKE_CLASSES + 2)
    with pytest.raises(ParamError, match=f"source {source}: predicts {SMOKE_CLASSES + 2} classes, the builtin"):
        run_int8(profile_params("smoke"), Int8Params(), source, tmp_path / "runs")
    assert not list((tmp_path / "runs").glob("*/calibration.pt"))


@pytest.mark.parametrize("classes,message", [(SMOKE_CLASSES, "its anchors .* are not those of the training split"),
                                             (SMOKE_CLASSES - 1, f"predicts {SMOKE_CLASSES - 1} classes, the training")])
def test_a_tucker2_source_of_another_task_is_refused_before_fine_tuning(tmp_path, classes, message):
    source = trained_elsewhere(tmp_path / "source.pt", classes)
    with pytest.raises(ParamError, match=f"the detector given: {message}"):
        run_tucker2(profile_params("smoke"), LowRankParams(rank_ratio=0.5, finetune_epochs=1), source, tmp_path / "runs")
