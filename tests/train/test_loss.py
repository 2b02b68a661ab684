import math

import pytest
import torch

from lib.models import build
from lib.train.loss import YoloLoss, wh_iou
from lib.train.optim import Schedule, make_optimizer, parameter_groups
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


def test_cosine_schedule_and_warmup():
    params = TrainParams(epochs=10, batch_size=16, warmup_epochs=1, warmup_min_iters=0)
    model = build("yolo-nano", 3, width=0.125)
    optimizer = make_optimizer(model, params, lr0=0.001)
    schedule = Schedule(params, 0.001, batches_per_epoch=20, world_batch=16)
    assert schedule.epoch_lr(0) == pytest.approx(0.001) and schedule.epoch_lr(10) == pytest.approx(0.001 * 0.01)
    accumulate, warm = schedule.apply(optimizer, 0, 0)
    assert (accumulate, warm) == (1, 0.0)
    assert [g["lr"] for g in optimizer.param_groups] == [0.0, 0.0, 0.1]
    assert optimizer.param_groups[1]["weight_decay"] == 0 and optimizer.param_groups[0]["momentum"] == 0.9
    accumulate, warm = schedule.apply(optimizer, 20, 1)
    assert (accumulate, warm) == (4, 1.0)  # 64 / 16 after burn-in
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([schedule.epoch_lr(1)] * 3)
    assert optimizer.param_groups[1]["weight_decay"] == params.weight_decay and optimizer.param_groups[0]["weight_decay"] == 0


def test_adam_option_keeps_groups_and_warms_beta1():
    params = TrainParams(optimizer="adam", epochs=4, warmup_epochs=1, warmup_min_iters=0)
    optimizer = make_optimizer(build("yolov3-tiny", 2, width=0.125), params, lr0=0.001)
    assert isinstance(optimizer, torch.optim.Adam)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.0, params.weight_decay, 0.0]
    schedule = Schedule(params, 0.001, batches_per_epoch=10, world_batch=16)
    schedule.apply(optimizer, 0, 0)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)
    schedule.apply(optimizer, 10, 1)
    assert optimizer.param_groups[0]["betas"] == (params.momentum, 0.999)
