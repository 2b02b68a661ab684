"""Random pruning, the lottery ticket's control: LTH Local's count in every layer, other
weights than magnitude keeps, fixed by the seed, then retrained as the ticket."""
import torch

from lib.prune.random import random_masks
from lib.models import build
from lib.prune import magnitude_prune
from lib.prune.masks import prunable_layers
from lib.study import chapter


def counts(masks: dict) -> dict[str, int]:
    return {name: int(mask.sum()) for name, mask in masks.items()}


def test_a_random_mask_keeps_lth_locals_count_in_every_layer_and_other_weights():
    torch.manual_seed(0)
    model = build("yolov3", 20, width=0.125)
    masks = random_masks(model, 0.9, seed=0)
    local = magnitude_prune(build("yolov3", 20, width=0.125), 0.9, "layer")
    assert set(masks) == set(prunable_layers(model)) and counts(masks) == counts(local)
    overlap = sum(int((masks[n] * local[n]).sum()) for n in masks) / sum(counts(local).values())
    assert overlap < 0.2  # chance keeps about 10% of magnitude's choice, not all of it
    assert all(torch.equal(masks[n], m) for n, m in random_masks(model, 0.9, seed=0).items())
    assert not all(torch.equal(masks[n], m) for n, m in random_masks(model, 0.9, seed=1).items())


def test_the_control_retrains_the_random_mask_from_the_dense_runs_rewind_point(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    runs = str(tmp_path / "runs")
    dense, _ = chapter.run_row("yolov3", "smoke", "builtin", None, 0, [], runs, settings={"rewind_epoch": 1}, epochs=2)
    chapter.save_result(str(tmp_path / "dense.json"), dense)
    control, given = chapter.run_row("yolov3-random-prune", "smoke", "builtin", None, 0, [str(tmp_path / "dense.json")],
                                     runs, settings={"rewind_epoch": 1, "target_sparsity": 0.5}, epochs=2)
    assert given == {"dense": dense} and control.method == "random-prune" and control.epochs == 2
    layers = {layer["layer"]: layer for layer in control.layers}
    expected = counts(random_masks(build("yolov3", 20, width=0.125), 0.5, seed=0))
    assert {name: layer["alive"] for name, layer in layers.items()} == expected
    assert control.footprint.storage_encoding == "sparse" and control.budget.total_epochs == dense.budget.total_epochs + 2
