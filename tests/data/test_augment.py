import numpy as np
import pytest
import torch

from lib.data import AugmentParams, DetectionDataset, collate, multiscale_sizes, open_split, resize_batch
from lib.data.augment import keep, letterbox, maybe_flip, mosaic

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def boxed_image(h, w, box, colour):
    """A black image with one filled rectangle (box xyxy pixels)."""
    img = torch.zeros(3, h, w, dtype=torch.uint8)
    x1, y1, x2, y2 = box
    img[:, y1:y2, x1:x2] = torch.tensor(colour, dtype=torch.uint8)[:, None, None]
    return img, torch.tensor([box], dtype=torch.float32)


def filled_extent(img, colour):
    """xyxy of the pixels close to ``colour``."""
    close = (img.int() - torch.tensor(colour)[:, None, None]).abs().sum(0) < 60
    ys, xs = torch.nonzero(close, as_tuple=True)
    return [xs.min().item(), ys.min().item(), xs.max().item() + 1, ys.max().item() + 1]


def test_letterbox_keeps_boxes_on_their_pixels_and_maps_back():
    img, boxes = boxed_image(100, 200, (20, 30, 60, 90), COLOURS[0])
    out, moved, (scale, left, top) = letterbox(img, boxes, 320)
    assert out.shape == (3, 320, 320) and (scale, left, top) == (1.6, 0, 80)
    assert moved[0].tolist() == pytest.approx(filled_extent(out, COLOURS[0]), abs=1.5)
    back = (moved - torch.tensor([left, top, left, top])) / scale
    assert torch.allclose(back, boxes)


@pytest.mark.parametrize("seed", range(6))
def test_mosaic_boxes_follow_their_objects(seed):
    samples = [boxed_image(160, 120 + 20 * k, (10 + 5 * k, 20, 90, 100 + 10 * k), COLOURS[k]) for k in range(4)]
    rng = np.random.default_rng(seed)
    img, boxes, kept = mosaic(samples, 256, rng, AugmentParams())
    assert img.shape == (3, 256, 256) and boxes.shape == (4, 4)
    assert ((boxes >= 0) & (boxes <= 256)).all()
    for k in torch.nonzero(kept).flatten().tolist():
        assert boxes[k].tolist() == pytest.approx(filled_extent(img, COLOURS[k]), abs=2.5)


def test_keep_drops_small_cut_and_thin_boxes():
    before = torch.tensor([[0, 0, 50, 50], [0, 0, 50, 50], [0, 0, 3, 50], [0, 0, 100, 8.]])
    after = torch.tensor([[0, 0, 50, 50], [0, 0, 50, 9], [0, 0, 3, 50], [0, 0, 100, 8.]])
    assert keep(before, after, AugmentParams()).tolist() == [True, False, False, False]


def test_flip_mirrors_boxes():
    img, boxes = boxed_image(50, 80, (10, 5, 30, 25), COLOURS[1])
    flipped, moved = maybe_flip(img, boxes, np.random.default_rng(0), p=1.0)
    assert moved[0].tolist() == [50, 5, 70, 25] == filled_extent(flipped, COLOURS[1])


@pytest.fixture
def small_split(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path))
    return open_split("builtin", "train", builtin=dict(img_size=96, n_train=8, n_val=2, n_test=2))


def test_training_samples_are_a_function_of_seed_epoch_and_index(small_split):
    data = DetectionDataset(small_split, 128, AugmentParams(), seed=4)
    first, again = data[5], data[5]
    assert torch.equal(first[0], again[0]) and torch.equal(first[1]["boxes"], again[1]["boxes"])
    data.set_epoch(1)
    assert not torch.equal(first[0], data[5][0])
    images, targets = collate([data[i] for i in range(4)])
    assert images.shape == (4, 3, 128, 128) and images.dtype == torch.float32 and 0 <= images.min() <= images.max() <= 1
    assert all(t["boxes"].shape[0] == t["labels"].shape[0] == t["difficult"].shape[0] for t in targets)


def test_evaluation_samples_are_letterboxed_records(small_split):
    data = DetectionDataset(small_split, 192)
    image, target = data[0]
    record = small_split.records[0]
    assert image.shape == (3, 192, 192)
    assert torch.allclose(target["boxes"], torch.from_numpy(record.boxes) * 2)
    assert target["difficult"].tolist() == record.difficult.tolist()


def test_multiscale_sizes_and_batch_resize():
    assert multiscale_sizes(288, 640) == list(range(288, 641, 32))
    images = torch.rand(2, 3, 320, 320)
    targets = [{"boxes": torch.tensor([[10.0, 20, 30, 40]])}, {"boxes": torch.zeros(0, 4)}]
    resized, moved = resize_batch(images, targets, 480)
    assert resized.shape == (2, 3, 480, 480) and moved[0]["boxes"].tolist() == [[15, 30, 45, 60]]
    with pytest.raises(ValueError, match="multiscale"):
        multiscale_sizes(300, 310)


@pytest.mark.parametrize("size", [0, 100, 33.0])
def test_image_size_must_be_a_multiple_of_32(small_split, size):
    with pytest.raises(ValueError, match="img_size: expected a positive multiple of 32"):
        DetectionDataset(small_split, size)


def test_the_colour_matrix_is_torchvisions_brightness_and_saturation_and_a_hue_rotation():
    """Brightness and saturation as torchvision computes them (to rounding); the hue
    term a rotation about the grey axis: greys stay grey, a third of a turn takes red
    to green, and the study's small shifts stay close to HSV's."""
    from torchvision.transforms.v2 import functional as F
    from lib.data.augment import colour_matrix
    img = torch.randint(0, 256, (3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))

    def apply(matrix, image):
        return torch.einsum("ij,jhw->ihw", matrix, image.float()).round().clamp(0, 255).to(torch.uint8)

    def max_diff(a, b):
        return (a.int() - b.int()).abs().max().item()

    assert max_diff(apply(colour_matrix(1.3, 1, 0), img), F.adjust_brightness(img, 1.3)) <= 1
    assert max_diff(apply(colour_matrix(1, 0.4, 0), img), F.adjust_saturation(img, 0.4)) <= 1
    grey = torch.full((3, 4, 4), 90, dtype=torch.uint8)
    assert max_diff(apply(colour_matrix(1, 1, 0.2), grey), grey) == 0
    red = torch.tensor([255, 0, 0], dtype=torch.uint8).view(3, 1, 1)
    assert apply(colour_matrix(1, 1, 1 / 3), red).flatten().tolist() == [0, 255, 0]
    shift = (apply(colour_matrix(1, 1, 0.0138), img).int() - F.adjust_hue(img, 0.0138).int()).abs().float()
    assert shift.mean() < 5 and 0 < max_diff(apply(colour_matrix(1, 1, 0.0138), img), img)


def test_keeping_decoded_images_changes_no_sample(small_split):
    plain = DetectionDataset(small_split, 128, AugmentParams(), seed=2)
    kept = DetectionDataset(small_split, 128, AugmentParams(), seed=2, keep_decoded=True)
    for data in (plain, kept):
        data.set_epoch(3)
    for i in (0, 5, 0):
        assert torch.equal(plain[i][0], kept[i][0]) and torch.equal(plain[i][1]["boxes"], kept[i][1]["boxes"])
    assert plain.decoded is None and {0, 5} <= set(kept.decoded)
