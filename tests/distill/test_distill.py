import pytest
import torch

from lib.distill import GANParams, KDParams, run_kd
from lib.distill.gan import GANKD
from lib.distill.hints import bounded_box_term, feature_shapes, hint_layer, hint_pairs
from lib.models import build
from lib.profiles import profile_params
from lib.paths import BEST
from lib.study.rows import ROWS
from lib.train import freeze, train

# every hint setting of the study's rows
PAPER_HINTS = {row.training: tuple(row.settings["hints"]) for row in ROWS if "hints" in row.settings}


@pytest.fixture(scope="module")
def teachers():
    return {width: build("yolov3", 20, width=width).eval() for width in (1.0, 0.25)}


@pytest.mark.parametrize("width,img_size", [(1.0, 416), (0.25, 192)])
@pytest.mark.parametrize("student_name", ["yolo-nano", "yolov3-mobile"])
def test_hint_layers_fit_every_paper_setting(teachers, student_name, width, img_size):
    student = build(student_name, 20, width=width, activation="leaky")
    for setting, hints in PAPER_HINTS.items():
        pairs = hint_pairs(student, hints)
        for (t, s), (t_shape, s_shape) in zip(pairs, feature_shapes(teachers[width], student, pairs, img_size)):
            assert t_shape[1:] == s_shape[1:], (setting, t, s)
            mapped = hint_layer(s_shape[0], t_shape[0])(torch.rand(1, *s_shape))
            assert mapped.shape[1:] == t_shape


def test_a_pair_of_different_resolutions_is_named(teachers):
    student = build("yolo-nano", 20, width=1.0, activation="leaky")
    with pytest.raises(ValueError, match="teacher layer 36 is 52x52 but student layer conv5 is 13x13"):
        feature_shapes(teachers[1.0], student, [("36", "conv5")], 416)
    with pytest.raises(ValueError, match=r"kd.hints: teacher layers \[50\]"):
        hint_pairs(student, (50,))


def test_teacher_bounded_term_by_hand():
    student = torch.tensor([0.5, 0.2, 0.9])
    teacher = torch.tensor([0.3, 0.3, 0.9])
    # counted only where the student's loss exceeds the teacher's + margin: the first one
    assert bounded_box_term(student, teacher, margin=0.1).item() == pytest.approx(0.5 / 3)
    assert bounded_box_term(torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.3]), 0.0).item() == 0.0
    assert bounded_box_term(torch.tensor([0.4]), torch.tensor([0.3]), 0.0).item() == pytest.approx(0.4)


def test_gan_generator_step_reaches_the_student_and_not_the_teacher(context):
    torch.manual_seed(0)
    teacher = freeze(build("yolov3", 4, width=0.125))
    student = build("yolo-nano", 4, width=0.25, activation="leaky")
    callback = GANKD(teacher, GANParams())
    ctx = context(student, epochs=3)
    callback.on_fit_start(ctx)
    teacher_before = {k: v.clone() for k, v in teacher.state_dict().items()}
    student_before = {k: v.clone() for k, v in student.state_dict().items()}
    optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
    images = torch.rand(2, 3, 64, 64)
    terms = callback.extra_loss(ctx, images, [], student(images))  # the detection loss left out: zero
    assert set(terms) == {"gan_g"} and callback.detection_weight(ctx) == 0.05
    optimizer.zero_grad()
    terms["gan_g"].backward()
    optimizer.step()
    after = student.state_dict()
    assert any(not torch.equal(student_before[k], after[k]) for k in after if "running" not in k)
    assert all(torch.equal(teacher_before[k], v) for k, v in teacher.state_dict().items())
    assert all(p.grad is None for p in teacher.parameters())
    ctx.epoch = 2  # the last third: a plain detector
    assert callback.extra_loss(ctx, images, [], student(images)) == {} and callback.detection_weight(ctx) == 1.0


@pytest.mark.parametrize("student_name,method", [("yolo-nano", KDParams(hints=(36, 61))),
                                                 ("yolov3-mobile", KDParams(hints=(91,))),
                                                 ("yolo-nano", GANParams())])
def test_students_train_end_to_end_from_a_trained_teacher(tmp_path, monkeypatch, student_name, method):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    teacher_params = profile_params("smoke", **{"model.name": "yolov3", "train.epochs": 1})
    train(teacher_params, tmp_path / "teacher", log=lambda _: None)
    student = profile_params("smoke", **{"model.name": student_name, "model.activation": "leaky", "train.epochs": 2})
    metrics = run_kd(student, tmp_path / "teacher" / BEST, method, tmp_path, log=lambda _: None)
    extra = "gan_g" if isinstance(method, GANParams) else "kd_hint"
    assert extra in metrics["history"][0] and "map50" in metrics["test"]


def test_students_must_be_leaky_and_teachers_must_exist(tmp_path):
    with pytest.raises(ValueError, match="model.activation"):
        run_kd(profile_params("smoke", **{"model.name": "yolo-nano"}), tmp_path / "t.pt", KDParams())
    with pytest.raises(ValueError, match="teacher: no model file"):
        run_kd(profile_params("smoke", **{"model.name": "yolo-nano", "model.activation": "leaky"}),
               tmp_path / "t.pt", KDParams())
