import pytest

from lib.models import build, load_weights
from lib.profiles import profile_params
from lib.prune.gradual import GradualParams, Schedule, check, cubic_sparsity, gradual_params, run_gradual


def test_the_cubic_schedule_follows_the_formula_and_ends_exactly_at_its_target():
    s_i, s_f, t0, n, dt = 0.1, 0.9, 50, 8, 25
    assert cubic_sparsity(t0 + n * dt, s_i, s_f, t0, n, dt) == s_f
    assert cubic_sparsity(10_000, s_i, s_f, t0, n, dt) == s_f and cubic_sparsity(0, s_i, s_f, t0, n, dt) == s_i
    for t in (50, 75, 130, 199, 249):
        assert cubic_sparsity(t, s_i, s_f, t0, n, dt) == pytest.approx(s_f + (s_i - s_f) * (1 - (t - t0) / (n * dt)) ** 3)
    schedule = Schedule.of(GradualParams(initial_sparsity=0.1, start=0.1, end=0.5, updates=8), 500)
    assert (schedule.t0, schedule.dt) == (50, 25)
    assert [schedule.updates_due(t) for t in (49, 50, 74, 75, 249, 250, 499)] == [0, 1, 1, 2, 8, 9, 9]
    assert schedule.sparsity_of_update(1) == 0.1 and schedule.sparsity_of_update(9) == 0.9


@pytest.mark.parametrize("bad", [{"start": 0.7}, {"end": 1.0}, {"structure": "rows"}, {"initial_sparsity": 0.95},
                                 {"updates": 0}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match="(?i)gradual"):
        check(GradualParams(**bad))


@pytest.mark.parametrize("structure", ["weights", "filters"])
def test_a_run_ends_pruned_and_its_result_is_from_an_epoch_at_the_target(tmp_path, structure):
    params = profile_params("smoke", **{"train.epochs": 2})
    g = GradualParams(structure=structure, start=0.0, end=0.5, updates=2, epoch_multiple=2)
    metrics = run_gradual(params, g, tmp_path, log=lambda _: None)
    assert metrics["epochs"] == 4 and gradual_params(params, g).train.epochs == 4
    sparsity = [h["gradual_sparsity"] for h in metrics["history"]]
    assert sparsity[-1] == max(sparsity) and sparsity[0] < sparsity[-1]
    model = load_weights(f"{metrics['run_dir']}/best.pt")
    if structure == "weights":
        masks = [m.weight_mask for m in model.modules() if hasattr(m, "weight_mask")]
        alive = sum(int(m.sum()) for m in masks) / sum(m.numel() for m in masks)
        assert alive == pytest.approx(0.1, abs=0.01)
    else:
        assert "channels" in model.arch  # the slim model, cut from the masked channels
        full = build(**{k: v for k, v in model.arch.items() if k != "channels"})
        kept = sum(p.numel() for p in model.parameters()) / sum(p.numel() for p in full.parameters())
        assert kept < 0.3
