import pytest
import torch

from lib.models import build
from lib.profiles import profile_params
from lib.prune import prunable_layers
from lib.paths import round_dir, ticket_dir
from lib.prune import cs as cs_module
from lib.prune.cs import (FINAL_BETA, CSParams, SoftMask, SoftMasks, beta_at, carry_over, check, cs_folder,
                          epochs_per_round, run_cs, soft_masks)
from lib.prune.masks import get_masks, plain_state, plain_weights, sparsity
from lib.prune.rewind import StartFrom, last_state, load_snapshot, trained_model
from lib.train.optim import lr_factor


def smoke(**overrides):
    return profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 2, **overrides})


def test_search_rounds_split_the_schedule_unless_given():
    paper = profile_params("paper", **{"data.dataset": "builtin"})  # the paper's 300 epochs, no data root needed
    assert [epochs_per_round(CSParams(rounds=r), paper) for r in (1, 3)] == [300, 100]  # "CS 1 It", "CS 3 It"
    assert epochs_per_round(CSParams(rounds=3, round_epochs=7), paper) == 7


def test_beta_schedule_reaches_200_at_the_last_epoch():
    assert [round(beta_at(e, 3), 6) for e in range(3)] == [1.0, round(200 ** 0.5, 6), 200.0]
    assert beta_at(0, 1) == FINAL_BETA


def test_soft_masks_start_at_one_and_harden_as_beta_rises():
    torch.manual_seed(0)
    soft = SoftMask(torch.empty(1000), -0.1, torch.randn(1000) * 0.05)
    assert torch.allclose(SoftMask(torch.empty(3), -0.1).mask(), torch.ones(3))
    distance = []
    for beta in (1.0, 10.0, 200.0):
        soft.beta = beta
        unit = soft.mask() / soft.norm  # sigmoid(beta * s) in (0, 1)
        distance.append(torch.minimum(unit, 1 - unit).mean().item())
    assert distance[0] > distance[1] > distance[2] and distance[2] < distance[0] / 5


def test_the_scores_take_the_weights_memory_layout_and_carried_values(context):
    """In a channels-last model (CPU training's layout) the scores are channels-last too:
    a score tensor in another layout sends every product of the step down the strided path."""
    model = build("yolov3-tiny", 2, width=0.25).to(memory_format=torch.channels_last)
    conv = next(iter(prunable_layers(model).values()))
    carried = {name: torch.randn(c.weight.shape) for name, c in prunable_layers(model).items()}
    SoftMasks(CSParams(), scores=carried).on_fit_start(context(model, epochs=2))
    first = next(iter(soft_masks(model).items()))
    assert first[1].score.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(first[1].score.detach(), carried[first[0]])
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)


def train_scores(context, lam: float, steps: int = 40) -> torch.Tensor:
    """Scores after a few steps of the CS objective on one fixed batch."""
    torch.manual_seed(0)
    model = build("yolov3-tiny", 2, width=0.25)
    callback = SoftMasks(CSParams(lam=lam, s0=0.05, mask_lr=0.5))
    ctx = context(model, epochs=2)
    callback.on_fit_start(ctx)
    x = torch.rand(2, 3, 64, 64)
    for _ in range(steps):
        task = sum(o.pow(2).mean() for o in model(x))
        loss = task + sum(callback.extra_loss(ctx, x, [], None).values())
        callback.optimizer.zero_grad()
        loss.backward()
        callback.optimizer.step()
    return torch.cat([m.score.detach().flatten() for m in soft_masks(model).values()])


def test_the_l0_term_reuses_the_forwards_mask_with_the_same_gradients(context, monkeypatch):
    torch.manual_seed(0)
    model = build("yolov3-tiny", 2, width=0.125)
    callback = SoftMasks(CSParams(lam=1e-2, s0=0.05))
    ctx = context(model, epochs=2)
    callback.on_fit_start(ctx)
    x = torch.rand(2, 3, 64, 64)
    masks = list(soft_masks(model).values())
    calls = []
    original = SoftMask.mask
    monkeypatch.setattr(SoftMask, "mask", lambda self: calls.append(1) or original(self))

    def score_grads(forget_forward_masks: bool) -> list[torch.Tensor]:
        model.zero_grad()
        task = sum(o.pow(2).mean() for o in model(x))
        if forget_forward_masks:
            for m in masks:
                m.last = None
        calls.clear()
        (task + sum(callback.extra_loss(ctx, x, [], None).values())).backward()
        return [m.score.grad.clone() for m in masks], len(calls)

    reused, computed_again = score_grads(False), score_grads(True)
    assert reused[1] == 0 and computed_again[1] == len(masks)  # the sigmoid ran once per layer, not twice
    for a, b in zip(reused[0], computed_again[0]):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-9)
    assert any(g.abs().sum() > 0 for g in reused[0])


def test_a_larger_lambda_gives_a_sparser_mask(context):
    weak, strong = train_scores(context, 1e-8), train_scores(context, 1e-3)
    assert (strong <= 0).float().mean() > (weak <= 0).float().mean() + 0.2


@pytest.mark.parametrize("cs,field", [(CSParams(rounds=0), "CSParams.rounds"), (CSParams(lam=-1), "CSParams.lam"),
                                      (CSParams(round_epochs=2, rewind_epoch=2), "cs.rewind_epoch")])
def test_bad_cs_parameters(cs, field):
    with pytest.raises(ValueError, match=field):
        check(cs, smoke())


def test_plain_state_of_a_soft_masked_model_has_the_plain_keys(context):
    model = build("yolov3-tiny", 2, width=0.125)
    plain = {k: v.clone() for k, v in model.state_dict().items()}
    SoftMasks(CSParams()).on_fit_start(context(model, 2))
    restored = plain_state(model)
    assert restored.keys() == plain.keys() and all(torch.equal(restored[k], plain[k]) for k in plain)


def test_scores_carry_over_as_min_of_s_and_s0():
    scores = {"conv": torch.tensor([-1.0, -0.05, 0.3, 2.0])}
    # beta back to 1 first: pruned scores stay as they are, the rest restart at s0 (m near 1)
    assert carry_over(scores, -0.1)["conv"].tolist() == pytest.approx([-1.0, -0.1, -0.1, -0.1])


def test_the_scores_lr_follows_the_weights_cosine(context):
    model = build("yolov3-tiny", 2, width=0.125)
    callback, ctx = SoftMasks(CSParams(mask_lr=0.1)), context(model, epochs=10)
    callback.on_fit_start(ctx)
    for epoch in (0, 5, 9):
        ctx.epoch = epoch
        callback.on_epoch_start(ctx)
        assert callback.optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * lr_factor(epoch, ctx.params.train))


def test_two_rounds_and_a_ticket_end_to_end(tmp_path, monkeypatch):
    """Round 1 goes on from round 0's last weights; only the ticket is rewound, to the
    epoch-k snapshot of round 0; the ticket keeps some weights in its layers."""
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    started, rewound = [], []
    monkeypatch.setattr(cs_module, "SoftMasks", lambda cs, scores, weights: started.append(weights) or
                        SoftMasks(cs, scores, weights))
    monkeypatch.setattr(cs_module, "StartFrom", lambda snapshot, masks: rewound.append(snapshot) or
                        StartFrom(snapshot, masks))
    cs = CSParams(rounds=2, round_epochs=2, rewind_epoch=1, lam=1e-4, s0=0.05, mask_lr=0.5)
    results = run_cs(smoke(), cs, tmp_path, log=lambda _: None)
    assert len(results) == 3 and all("cs_sparsity" in h for r in results[:2] for h in r["history"])
    base = cs_folder(smoke(), cs, tmp_path)
    end_of_round0 = plain_weights(last_state(round_dir(base, 0))["model"])
    assert started[0] is None and started[1].keys() == end_of_round0.keys()
    assert all(torch.equal(started[1][k], v) for k, v in end_of_round0.items())
    snapshot = load_snapshot(round_dir(base, 0), 1)
    assert len(rewound) == 1 and all(torch.equal(rewound[0][k], v) for k, v in snapshot.items())
    ticket = trained_model(ticket_dir(base))
    masks = get_masks(ticket)
    assert set(masks) == set(prunable_layers(ticket)) and 0 < sparsity(masks) < 1
    assert sum(int(m.sum()) > 0 for m in masks.values()) >= len(masks) // 2  # weights kept across the layers
    round1 = last_state(round_dir(base, 1))
    assert round1["history"][-1]["cs_beta"] == FINAL_BETA
    assert results[-1]["test"]["map50"] >= 0
