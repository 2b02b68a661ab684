import numpy as np
import pytest
import torch

from lib.evaluate import (AUTHORS_RULES, COCO_THRESHOLDS, Rules, average_precision, coco_metrics, postprocess, predict,
                          predict_under)


def synthetic_detections(seed=0, n_images=60, n_classes=4):
    """Ground truths and noisy detections: jittered true boxes, duplicates, misses, false alarms."""
    rng = np.random.default_rng(seed)
    predictions, targets = [], []
    for _ in range(n_images):
        n = rng.integers(1, 6)
        xy = rng.uniform(0, 300, (n, 2))
        wh = rng.uniform(8, 120, (n, 2))
        gt = np.concatenate([xy, xy + wh], 1)
        labels = rng.integers(0, n_classes, n)
        boxes, scores, det_labels = [], [], []
        for box, label in zip(gt, labels):
            for _ in range(rng.integers(0, 3)):  # 0: a miss, 2: a duplicate
                boxes.append(box + rng.normal(0, 0.08, 4) * np.r_[wh[0], wh[0]] * rng.uniform(0.2, 1.5))
                scores.append(rng.uniform(0.2, 1.0))
                det_labels.append(label if rng.random() > 0.1 else rng.integers(0, n_classes))
        for _ in range(rng.integers(0, 4)):  # false alarms
            p = rng.uniform(0, 300, 2)
            boxes.append(np.r_[p, p + rng.uniform(8, 100, 2)])
            scores.append(rng.uniform(0.0, 0.7))
            det_labels.append(rng.integers(0, n_classes))
        boxes = np.array(boxes).reshape(-1, 4)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        predictions.append({"boxes": torch.tensor(boxes, dtype=torch.float32), "scores": torch.tensor(scores),
                            "labels": torch.tensor(det_labels, dtype=torch.int64)})
        targets.append({"boxes": torch.tensor(gt, dtype=torch.float32), "labels": torch.tensor(labels)})
    return predictions, targets


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_average_precision_agrees_with_pycocotools(seed):
    predictions, targets = synthetic_detections(seed)
    coco = coco_metrics(predictions, targets, num_classes=4)
    ours50 = average_precision(predictions, targets)["map"]
    ours = average_precision(predictions, targets, COCO_THRESHOLDS)["map"]
    assert 0.2 < ours < ours50 < 0.95  # a non-trivial case
    assert ours50 == pytest.approx(coco["ap50"], abs=1e-3)
    assert ours == pytest.approx(coco["map_coco"], abs=1e-3)


def box(*xyxy):
    return torch.tensor([xyxy], dtype=torch.float32)


def one_image(det_boxes, det_scores):
    targets = [{"boxes": torch.cat([box(0, 0, 10, 10), box(50, 50, 60, 60)]), "labels": torch.tensor([0, 0]),
                "difficult": torch.tensor([False, True])}]
    preds = [{"boxes": torch.cat(det_boxes) if det_boxes else torch.zeros(0, 4),
              "scores": torch.tensor(det_scores), "labels": torch.zeros(len(det_scores), dtype=torch.int64)}]
    return preds, targets


def test_a_detection_on_a_difficult_object_is_neither_tp_nor_fp():
    # ranked first on the difficult object: as a false positive it would halve the AP
    preds, targets = one_image([box(50, 50, 60, 60), box(0, 0, 10, 10)], [0.95, 0.9])
    assert average_precision(preds, targets)["map"] == pytest.approx(1.0)
    # alone on the difficult object: as a true positive (and the object a positive) AP would be 0.5
    preds, targets = one_image([box(50, 50, 60, 60)], [0.95])
    assert average_precision(preds, targets)["map"] == 0.0
    # a plain false alarm still counts
    preds, targets = one_image([box(100, 100, 120, 120), box(0, 0, 10, 10)], [0.95, 0.9])
    assert average_precision(preds, targets)["map"] == pytest.approx(0.5)


def test_per_class_and_threshold_tables():
    predictions, targets = synthetic_detections(3, n_images=20, n_classes=3)
    result = average_precision(predictions, targets, (0.5, 0.75))
    assert sorted(result["per_class"]) == [0, 1, 2]
    assert result["per_threshold"][0.5] > result["per_threshold"][0.75]
    assert result["map"] == pytest.approx(np.mean(list(result["per_class"].values())))


def test_postprocess_keeps_multi_label_candidates_and_suppresses_duplicates():
    # rows: x1 y1 x2 y2 obj p(c0) p(c1)
    decoded = torch.tensor([[[0, 0, 10, 10, 0.9, 0.9, 0.5],
                             [1, 0, 11, 10, 0.8, 0.9, 0.1],     # overlaps row 0, class 0: suppressed
                             [40, 40, 50, 50, 0.9, 0.0001, 0.8],
                             [60, 60, 70, 70, 0.001, 0.5, 0.5]]])  # below conf
    out = postprocess(decoded, conf=0.01, iou=0.6)[0]
    got = sorted(zip(out["labels"].tolist(), [round(s, 3) for s in out["scores"].tolist()]))
    assert got == [(0, 0.81), (1, 0.45), (1, 0.72)]


def test_coco_size_buckets_are_measured_in_original_image_pixels():
    # a 40 x 40 object of a 1000 x 1000 image is "medium" (32^2 < area < 96^2); letterboxed
    # to 416 it would be 16.6 px, "small"
    scale = 416 / 1000
    box = torch.tensor([[100.0, 100, 140, 140]]) * scale
    target = {"boxes": box, "labels": torch.tensor([0]), "letterbox": (scale, 0, 0)}
    prediction = {"boxes": box.clone(), "scores": torch.tensor([0.9]), "labels": torch.tensor([0])}
    metrics = coco_metrics([prediction], [target], 1)
    assert (metrics["ap_medium"], metrics["ap_small"]) == (pytest.approx(1.0), 0.0)


def test_the_authors_rules_one_by_one():
    rows = torch.zeros(1, 4, 6)  # one class: x1, y1, x2, y2, objectness, class probability
    rows[0, :, :4] = torch.tensor([[10.0, 10, 50, 50], [12, 10, 52, 50], [100, 100, 101.5, 130], [380, 380, 430, 430]])
    rows[0, :, 4:] = torch.tensor([[0.9, 1.0], [0.3, 1.0], [0.8, 1.0], [0.7, 1.0]])
    plain = postprocess(rows, 0.001, 0.6)[0]
    assert len(plain["boxes"]) == 3 and plain["boxes"][0].tolist() == [10, 10, 50, 50]
    merged = postprocess(rows, 0.001, 0.6, rules=Rules(merge_nms=True))[0]
    assert merged["boxes"][0].tolist() == pytest.approx([(10 * 0.9 + 12 * 0.3) / 1.2, 10, (50 * 0.9 + 52 * 0.3) / 1.2, 50])
    assert len(postprocess(rows, 0.001, 0.6, rules=Rules(min_size=2.0))[0]["boxes"]) == 2  # the 1.5 px wide box
    clipped = postprocess(rows, 0.001, 0.6, rules=Rules(clip=True), size=(416, 416))[0]
    assert clipped["boxes"][-1].tolist() == [380, 380, 416, 416]


class FixedOutputs(torch.nn.Module):
    """A detector whose decoded outputs are the rows of the rules test, whatever the images;
    it counts its forward passes."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, images):
        self.calls += 1
        rows = torch.zeros(len(images), 4, 6)
        rows[:, :, :4] = torch.tensor([[10.0, 10, 50, 50], [12, 10, 52, 50], [100, 100, 101.5, 130], [380, 380, 430, 430]])
        rows[:, :, 4:] = torch.tensor([[0.9, 1.0], [0.3, 1.0], [0.8, 1.0], [0.7, 1.0]])
        return rows

    def decode(self, outputs):
        return outputs


def test_every_rule_reads_one_forward_pass_and_predicts_as_alone():
    loader = [(torch.zeros(2, 3, 416, 416), [{"n": 0}, {"n": 1}]), (torch.zeros(1, 3, 416, 416), [{"n": 2}])]
    rules = {"study": Rules(), "clip": Rules(clip=True), "authors": AUTHORS_RULES}
    model = FixedOutputs()
    together, targets = predict_under(model, loader, "cpu", 0.001, 0.6, 300, rules)
    assert model.calls == len(loader) and targets == [{"n": 0}, {"n": 1}, {"n": 2}]
    for name, rule in rules.items():
        alone, _ = predict(model, loader, "cpu", 0.001, 0.6, 300, rule)
        assert len(together[name]) == 3 and all(
            torch.equal(a[k], b[k]) for a, b in zip(together[name], alone) for k in ("boxes", "scores", "labels"))
    assert not torch.equal(together["study"][0]["boxes"], together["authors"][0]["boxes"])  # the rules do differ


def test_trapezoid_integration_of_the_interpolated_envelope():
    # one class, two objects; detections: TP (0.9), FP (0.8), TP (0.7): recall 0.5, 0.5, 1; precision 1, .5, .667
    target = {"boxes": torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30]]), "labels": torch.tensor([0, 0])}
    pred = {"boxes": torch.tensor([[0.0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 30]]),
            "scores": torch.tensor([0.9, 0.8, 0.7]), "labels": torch.tensor([0, 0, 0])}
    # the authors' curve: (0, 0), the points, (min(1 + 0.001, 1), 0); its envelope, at 101 points
    x = np.linspace(0, 1, 101)
    envelope = np.interp(x, [0, 0.5, 0.5, 1, 1], [1, 1, 2 / 3, 2 / 3, 0])
    expected = np.trapezoid(envelope, x)
    assert expected == pytest.approx(0.5 * 1 + 0.5 * 2 / 3 - 0.01 * (2 / 3) / 2 - 0.01 * (1 - 2 / 3) / 2)
    assert average_precision([pred], [target], integration="trapezoid")["map"] == pytest.approx(expected, abs=1e-9)
    assert average_precision([pred], [target])["map"] == pytest.approx((51 * 1 + 50 * 2 / 3) / 101)
