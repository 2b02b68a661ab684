import math

import pytest
import torch

from lib.models import build
from lib.train.loss import YoloLoss, wh_iou
from lib.train.optim import Schedule, lr_factor, make_optimizer, objectness_ratio, parameter_groups
from lib.params import TrainParams


def model_with_anchor():
    model = build("yolov3", 3, width=0.125)
    return model, model.anchors[0, 1].clone()  # stride 32, second anchor of the mask


def test_wh_iou():
    iou = wh_iou(torch.tensor([[10.0, 10.0], [20.0, 5.0]]), torch.tensor([[10.0, 10.0], [5.0, 20.0]]))
    assert torch.allclose(iou, torch.tensor([[1.0, 50 / 150], [50 / 150, 25 / 175]]))


def test_a_perfect_prediction_has_zero_box_loss_and_full_objectness_target():
    model, anchor = model_with_anchor()
    w, h = anchor.tolist()
    # centre at (3.25, 2.75) cells of the stride-32 map of a 256 image
    cx, cy = 3.25 * 32, 2.75 * 32
    target = [{"boxes": torch.tensor([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]]), "labels": torch.tensor([2])}]
    loss_fn = YoloLoss(model, TrainParams(iou_t=0.9))  # only the exact anchor qualifies, at one scale
    maps = [torch.zeros(1, 24, 256 // s, 256 // s) for s in model.strides]
    maps[0].view(1, 3, 8, 8, 8)[0, 1, :, 2, 3] = torch.tensor(
        [math.log(0.25 / 0.75), math.log(0.75 / 0.25), 0, 0, 20, -20, -20, 20])
    _, parts = loss_fn(maps, target)
    assert parts["box"] == pytest.approx(0, abs=1e-5)
    (b, a, gy, gx), box, anchors, cls = loss_fn.assign(maps[0].view(1, 3, 8, 8, 8).permute(0, 1, 3, 4, 2).shape, 0,
                                                       torch.tensor([[0, 2, cx, cy, w, h]]))
    assert (b.tolist(), a.tolist(), gy.tolist(), gx.tolist(), cls.tolist()) == ([0], [1], [2], [3], [2])
    assert box[0].tolist() == pytest.approx([0.25, 0.75, w / 32, h / 32])


def test_a_box_is_assigned_to_every_anchor_above_iou_t():
    model = build("yolov3", 3, width=0.125)
    anchors = model.anchors[0] / 32  # stride 32, grid units: VOC's (247, 325), (362, 178), (412, 346) px
    w, h = 200 / 32, 200 / 32
    ious = wh_iou(anchors, torch.tensor([[w, h]]))[:, 0]  # 0.498, 0.517, 0.281
    assert ((ious > 0.225).tolist(), (ious > 0.5).tolist()) == ([True, True, True], [False, True, False])
    truth = torch.tensor([[0, 1, 3.5 * 32, 4.5 * 32, w * 32, h * 32]])
    shape = (1, 3, 8, 8, 8)
    (b, a, gy, gx), _, _, cls = YoloLoss(model, TrainParams(iou_t=0.225)).assign(shape, 0, truth)
    assert a.tolist() == [0, 1, 2] and gy.tolist() == [4] * 3 and gx.tolist() == [3] * 3 and cls.tolist() == [1] * 3
    (_, a, _, _), *_ = YoloLoss(model, TrainParams(iou_t=0.5)).assign(shape, 0, truth)
    assert a.tolist() == [1]


def test_objectness_target_mixes_in_giou_by_gr_and_the_loss_scales_by_batch_over_nominal():
    model, anchor = model_with_anchor()
    w, h = anchor.tolist()
    cx, cy = 3.5 * 32, 2.5 * 32
    target = [{"boxes": torch.tensor([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]]), "labels": torch.tensor([0])}]
    maps = [torch.zeros(1, 24, 256 // s, 256 // s) for s in model.strides]
    cell = maps[0].view(1, 3, 8, 8, 8)[0, 1, :, 2, 3]
    cell[:4] = torch.tensor([0.0, 0.0, 0.4, 0.4])  # centred, e^0.4 too wide and tall: GIoU = IoU = e^-0.8
    cell[4] = 20.0                                   # objectness logit x at the assigned cell
    loss_fn = YoloLoss(model, TrainParams(iou_t=0.9, nominal_batch=64))
    (_, zero), (_, one) = loss_fn(maps, target, gr=0.0), loss_fn(maps, target, gr=1.0)
    giou = 1 - zero["box"] / 3.54
    assert giou == pytest.approx(math.exp(-0.8), rel=1e-4)
    # BCE(x, t) = softplus(x) - t x, averaged over the scale's 3 x 8 x 8 cells: a target t = giou
    # instead of 1 costs (1 - giou) x more at that cell
    assert (one["obj"] - zero["obj"]) / 64.3 == pytest.approx((1 - giou) * 20 / (3 * 8 * 8), rel=1e-4)
    total64, _ = loss_fn(maps, target)
    total8, _ = YoloLoss(model, TrainParams(iou_t=0.9, nominal_batch=8))(maps, target)
    assert float(total8) == pytest.approx(8 * float(total64))  # loss x batch / nominal batch (1/64 vs 1/8)


def test_difficult_objects_are_not_targets():
    model, anchor = model_with_anchor()
    boxes = torch.tensor([[10.0, 10, 100, 100]])
    maps = [torch.zeros(1, 24, 256 // s, 256 // s) for s in model.strides]
    loss_fn = YoloLoss(model)
    easy, _ = loss_fn(maps, [{"boxes": boxes, "labels": torch.tensor([0])}])
    hard, _ = loss_fn(maps, [{"boxes": boxes, "labels": torch.tensor([0]), "difficult": torch.tensor([True])}])
    empty, _ = loss_fn(maps, [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}])
    assert hard == empty != easy


def test_a_few_steps_fit_one_batch():
    torch.manual_seed(0)
    model = build("yolov3-tiny", 2, width=0.25)
    images = torch.rand(2, 3, 128, 128)
    targets = [{"boxes": torch.tensor([[20.0, 30, 70, 90]]), "labels": torch.tensor([1])},
               {"boxes": torch.tensor([[5.0, 5, 40, 30], [60, 60, 120, 110]]), "labels": torch.tensor([0, 1])}]
    loss_fn = YoloLoss(model, TrainParams(nominal_batch=2))
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    losses = []
    for _ in range(30):
        loss, _ = loss_fn(model(images), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]


def test_parameter_groups_decay_only_conv_and_linear_weights():
    model = build("yolov3-mobile", 4, width=0.25)
    other, decayed, biases = parameter_groups(model)
    assert sum(p.numel() for g in (other, decayed, biases) for p in g) == sum(p.numel() for p in model.parameters())
    assert all(p.ndim in (2, 4) for p in decayed) and all(p.ndim == 1 for p in other + biases)
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    assert len(decayed) == sum(isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) for m in model.modules()) > n_linear > 0


def test_the_authors_cosine_ends_at_five_percent_and_gr_reaches_one_at_half_time():
    params = TrainParams(epochs=10)
    assert [lr_factor(e, params) for e in (0, 5, 10)] == pytest.approx([1.0, 0.525, 0.05])
    assert [objectness_ratio(e, 10) for e in (0, 1, 5, 9)] == pytest.approx([0.0, 1 - (1 + math.cos(0.2 * math.pi)) / 2,
                                                                             1.0, 1.0])


def test_prebias_moves_only_the_biases_per_epoch():
    params = TrainParams(epochs=10, batch_size=16)  # the paper's: prebias, accumulation to 64
    optimizer = make_optimizer(build("yolo-nano", 3, width=0.125), params, lr0=0.01)
    schedule = Schedule(params, 0.01, batches_per_epoch=20, world_batch=16)
    assert schedule.prebias_epochs == 3  # max(round(30 / 20), 3)
    for ni, epoch, bias_lr, bias_momentum in ((0, 0, 0.1, 0.9), (39, 1, 0.1 - (0.1 - 0.02) / 3, 0.9 + 0.037 / 3),
                                              (60, 3, 0.02, 0.937)):
        assert schedule.apply(optimizer, ni, epoch) == 4  # no accumulation ramp
        weights, biases = optimizer.param_groups[:2], optimizer.param_groups[2]
        assert [g["lr"] for g in weights] == pytest.approx([schedule.epoch_lr(epoch)] * 2)  # full cosine lr
        assert [g["momentum"] for g in weights] == [0.937] * 2 and weights[1]["weight_decay"] == params.weight_decay
        assert (biases["lr"], biases["momentum"]) == pytest.approx((bias_lr, bias_momentum))
    schedule.apply(optimizer, 80, 4)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([schedule.epoch_lr(4)] * 3)


def test_burn_in_ramps_every_group_decay_and_accumulation():
    params = TrainParams(epochs=10, batch_size=16, warmup="burn-in", warmup_epochs=1, warmup_min_iters=0)
    optimizer = make_optimizer(build("yolo-nano", 3, width=0.125), params, lr0=0.001)
    schedule = Schedule(params, 0.001, batches_per_epoch=20, world_batch=16)
    assert schedule.apply(optimizer, 0, 0) == 1
    assert [g["lr"] for g in optimizer.param_groups] == [0.0, 0.0, 0.1]
    assert optimizer.param_groups[1]["weight_decay"] == 0 and optimizer.param_groups[0]["momentum"] == 0.9
    assert schedule.apply(optimizer, 20, 1) == 4  # 64 / 16 after burn-in
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([schedule.epoch_lr(1)] * 3)
    assert optimizer.param_groups[1]["weight_decay"] == params.weight_decay and optimizer.param_groups[0]["weight_decay"] == 0


def test_adam_option_keeps_groups_and_warms_beta1():
    params = TrainParams(optimizer="adam", epochs=4, warmup="burn-in", warmup_epochs=1, warmup_min_iters=0)
    optimizer = make_optimizer(build("yolov3-tiny", 2, width=0.125), params, lr0=0.001)
    assert isinstance(optimizer, torch.optim.Adam)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.0, params.weight_decay, 0.0]
    schedule = Schedule(params, 0.001, batches_per_epoch=10, world_batch=16)
    schedule.apply(optimizer, 0, 0)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)
    schedule.apply(optimizer, 10, 1)
    assert optimizer.param_groups[0]["betas"] == (params.momentum, 0.999)
