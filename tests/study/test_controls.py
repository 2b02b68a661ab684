"""The literature's controls and the budgets they are judged at, run as the study runs
them (smoke scale): a ticket's budget counts the dense run it starts from; the re-init
control has the ticket's mask and other starting weights; Scratch-B trains the slim
architecture from new weights as long as pruning and fine-tuning together; the equal-
budget reference trains a multiple of the epochs; the one-shot curve starts at the
dense model's own validation mAP."""
import pytest
import torch

from lib.models import load_weights
from lib.params import from_dict
from lib.prune.lth import LTHParams, starting_weights
from lib.report import oneshot
from lib.report.inference import map50_on
from lib.report.oneshot import oneshot_curves
from lib.study import chapter

SETTINGS = {"rewind_epoch": 1}


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    root = tmp_path_factory.mktemp("controls")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STUDY_CACHE", str(root / "cache"))
        made, _ = chapter.run_row("yolov3", "smoke", "builtin", None, 0, [], str(root / "runs"), settings=SETTINGS)
    chapter.save_result(str(root / "dense.json"), made)
    return made, root


def run(row: str, dense, **settings):
    made, root = dense
    result, _ = chapter.run_row(row, "smoke", "builtin", None, 0, [str(root / "dense.json")], str(root / "runs"),
                                settings=settings)
    return result


def masks_of(result) -> dict[str, torch.Tensor]:
    return {k: v for k, v in load_weights(result.model_file).state_dict().items() if k.endswith("weight_mask")}


def test_a_tickets_budget_is_the_dense_runs_and_its_own(dense, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(dense[1] / "cache"))
    ticket = run("yolov3-lth-local", dense, target_sparsity=0.5, **SETTINGS)
    base = dense[0].budget
    assert base.total_epochs == base.epochs == 2 and base.total_images == base.images > 0
    assert ticket.budget.epochs == 2 and ticket.budget.total_epochs == base.total_epochs + ticket.budget.epochs
    assert ticket.budget.total_images == base.total_images + ticket.budget.images


def test_the_reinit_control_keeps_the_tickets_mask_and_draws_other_weights(dense, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(dense[1] / "cache"))
    ticket = run("yolov3-lth-local", dense, target_sparsity=0.5, **SETTINGS)
    control = run("yolov3-lth-local-reinit", dense, target_sparsity=0.5, **SETTINGS)
    assert control.budget == ticket.budget and control.run_dir != ticket.run_dir
    mine, theirs = masks_of(control), masks_of(ticket)
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    params, round0 = from_dict(control.run_params), dense[0].run_dir
    rewound = starting_weights(params, LTHParams(rewind_epoch=1), round0)
    fresh = starting_weights(params, LTHParams(rewind_epoch=1, reinit=True), round0)
    convs = [k for k in rewound if k.endswith("conv.weight")]
    assert convs and rewound.keys() == fresh.keys()
    assert not any(torch.equal(rewound[k], fresh[k]) for k in convs)
    again = starting_weights(params, LTHParams(rewind_epoch=1, reinit=True), round0)
    assert all(torch.equal(fresh[k], again[k]) for k in fresh)  # the seed fixes them


def test_scratch_b_trains_the_slim_architecture_from_new_weights_for_the_whole_budget(dense, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(dense[1] / "cache"))
    pruned = run("yolov3-channels-11", dense, macs_ratio=0.5)
    scratch = run("yolov3-channels-11-scratch", dense, macs_ratio=0.5)
    assert load_weights(scratch.model_file).arch == load_weights(pruned.model_file).arch  # the same slim network
    assert scratch.footprint.macs == pruned.footprint.macs
    assert scratch.budget.epochs == scratch.budget.total_epochs == pruned.budget.total_epochs == 4  # no weights inherited
    assert pruned.budget.epochs == 2


def test_the_equal_budget_reference_trains_a_multiple_of_the_epochs(dense, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(dense[1] / "cache"))
    made, root = dense
    equal, _ = chapter.run_row("yolov3-equal-budget", "smoke", "builtin", None, 0, [], str(root / "runs"),
                               settings=SETTINGS)
    assert equal.budget.total_epochs == 2 * made.budget.total_epochs == len(equal.history)
    with pytest.raises(ValueError, match=r"ScratchParams.epoch_multiple: expected an integer in \[1, 100\], got 0"):
        chapter.run_row("yolov3-equal-budget", "smoke", "builtin", None, 0, [], str(root / "runs"),
                        settings={**SETTINGS, "epoch_multiple": 0})


def test_the_oneshot_curve_starts_at_the_dense_models_validation_map(dense, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(dense[1] / "cache"))
    scored = []
    monkeypatch.setattr(oneshot, "map50_on", lambda *args: scored.append(args) or map50_on(*args))
    curves = oneshot_curves(dense[0], fractions=(0.0, 0.5, 0.9))
    assert len(scored) == 1 + len(curves[curves["fraction"] > 0])  # the unpruned model once for every kind
    start = curves[curves["fraction"] == 0]
    assert len(start) == 4 and start["val_map50"].tolist() == pytest.approx([dense[0].metrics.val_map50] * 4)
    assert (start["removed"] == 0).all()
    weights = curves[(curves["kind"] == "magnitude, layer-wise") & (curves["fraction"] > 0)]
    assert weights["removed"].is_monotonic_increasing and weights["removed"].iloc[-1] > 0.8
