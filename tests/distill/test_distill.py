import pytest
import torch
import torch.nn.functional as F

from lib.distill import GANParams, KDParams, run_kd
from lib.distill.gan import GANKD, discriminator
from lib.distill.hints import HintKD, bounded_box_term, feature_shapes, hint_layer, hint_pairs
from lib.models.head import split_map
from lib.train.loss import flatten_targets
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


def test_discriminators_are_the_papers_at_width_1_and_scale_like_the_detectors():
    def layers(d):
        return [(m.in_features, m.out_features) if isinstance(m, torch.nn.Linear) else (m.in_channels, m.out_channels)
                for m in d if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    assert layers(discriminator(75)) == [(75, 256), (256, 512), (512, 256), (256, 128), (128, 64),
                                         (3136, 1024), (1024, 128), (128, 1)]
    assert layers(discriminator(24, 0.25)) == [(24, 64), (64, 128), (128, 64), (64, 32), (32, 16),
                                               (784, 256), (256, 32), (32, 1)]


def test_gan_losses_scale_by_batch_over_nominal(context):
    torch.manual_seed(0)
    teacher = freeze(build("yolov3", 4, width=0.125))
    student = build("yolo-nano", 4, width=0.25, activation="leaky")
    callback, ctx = GANKD(teacher, GANParams()), context(student, epochs=3)  # smoke: nominal batch 8
    callback.on_fit_start(ctx)  # discriminators in training mode: BatchNorm on batch statistics, the same twice
    images = torch.rand(2, 3, 64, 64)
    maps = student(images)
    plain = float(callback.generator_loss(maps).detach())
    assert float(callback.extra_loss(ctx, images, [], maps)["gan_g"].detach()) == pytest.approx(plain * 2 / 8)
    unscaled = float(callback.discriminator_loss(ctx, teacher(images), maps).detach())
    assert callback.d_losses[-1] == pytest.approx(unscaled * 2 / 8)


def test_teacher_bounded_term_by_hand():
    student = torch.tensor([0.5, 0.2, 0.9])
    teacher = torch.tensor([0.3, 0.3, 0.9])
    # Chen et al.: the student's loss counts where l_s + m > l_t: the first and the last
    assert bounded_box_term(student, teacher, margin=0.1).item() == pytest.approx((0.5 + 0.9) / 3)
    assert bounded_box_term(torch.tensor([0.1, 0.2]), torch.tensor([0.3, 0.3]), 0.0).item() == 0.0
    assert bounded_box_term(torch.tensor([0.4]), torch.tensor([0.3]), 0.0).item() == pytest.approx(0.4)


def hint_setup(context, hints=(79,)):
    torch.manual_seed(0)
    teacher = freeze(build("yolov3", 3, width=0.125))
    student = build("yolo-nano", 3, width=0.25, activation="leaky")
    callback, ctx = HintKD(teacher, KDParams(hints=hints)), context(student)
    callback.on_fit_start(ctx)
    return teacher, student, callback, ctx


def test_hint_kd_mixes_hard_and_soft_class_losses_by_mu(context):
    teacher, student, callback, ctx = hint_setup(context)
    images = torch.rand(2, 3, 128, 128)
    targets = [{"boxes": torch.tensor([[20.0, 30, 90, 100]]), "labels": torch.tensor([1])},
               {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]
    maps = student(images)
    _, parts = ctx.loss(maps, targets)
    terms = callback.extra_loss(ctx, images, targets, maps)
    hard = soft = 0.0  # by hand, at the cells the loss assigns
    truth = flatten_targets(targets, maps[0].device)
    for scale, (s_raw, t_raw) in enumerate(zip(maps, teacher(images))):
        ps, pt = split_map(s_raw), split_map(t_raw)
        (b, a, gy, gx), _, _, cls = ctx.loss.assign(ps.shape, scale, truth)
        if len(b):
            s_cells, t_cells = ps[b, a, gy, gx], pt[b, a, gy, gx]
            s_cells = s_cells.detach()
            hard += float(F.binary_cross_entropy_with_logits(s_cells[:, 5:], F.one_hot(cls, 3).float()))
            soft += float(F.binary_cross_entropy_with_logits(s_cells[:, 5:], t_cells[:, 5:].sigmoid()))
    t, scale = ctx.params.train, 2 / ctx.params.train.nominal_batch
    total = parts["cls"] * scale + float(terms["kd_cls"].detach())
    assert hard > 0 and soft > 0
    assert total == pytest.approx(t.cls_gain * scale * (0.7 * hard + 0.3 * soft), rel=1e-5)


def test_hint_gradients_reach_the_student_and_the_hint_layers_which_train_with_it(context):
    teacher, student, callback, ctx = hint_setup(context, hints=(36, 61))
    hint_params = {id(p) for p in callback.hints.parameters()}
    in_optimizer = {id(p) for group in ctx.optimizer.param_groups for p in group["params"]}
    assert hint_params <= in_optimizer and callback.optimizers() == []
    decay = {id(p): g["weight_decay"] for g in ctx.optimizer.param_groups for p in g["params"]}
    assert [decay[id(layer[0].weight)] for layer in callback.hints] == [ctx.params.train.weight_decay] * 2
    images = torch.rand(2, 3, 128, 128)
    no_objects = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}] * 2
    callback.extra_loss(ctx, images, no_objects, student(images))["kd_hint"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in callback.hints.parameters())
    tapped = student.tap_modules()["pep7"]
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in tapped.parameters())
    assert all(p.grad is None for p in teacher.parameters())


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
    callback.on_epoch_start(ctx)
    terms = callback.extra_loss(ctx, images, [], student(images))  # the detection loss left out: zero
    assert set(terms) == {"gan_g"} and callback.detection_weight(ctx) == 0.05
    d_params = list(callback.discriminators.parameters())
    d_grads = [p.grad.clone() for p in d_params]  # the discriminators' own loss, accumulated
    optimizer.zero_grad()
    terms["gan_g"].backward()
    optimizer.step()
    assert all(torch.equal(p.grad, g) for p, g in zip(d_params, d_grads))  # the generator term leaves them alone
    after = student.state_dict()
    assert any(not torch.equal(student_before[k], after[k]) for k in after if "running" not in k)
    assert all(torch.equal(teacher_before[k], v) for k, v in teacher.state_dict().items())
    assert all(p.grad is None for p in teacher.parameters())
    d_before = [p.detach().clone() for p in d_params]
    callback.on_step_end(ctx)  # once per accumulation group, with the student's step
    assert any(not torch.equal(b, p) for b, p in zip(d_before, d_params)) and all(p.grad is None for p in d_params)
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
