import pytest
import torch
from torch import nn

from lib.models import build, residual_norms
from lib.paths import LAST
from lib.profiles import profile_params
from lib.train import Callback, freeze, train
from lib.train.checkpoint import load_checkpoint


class Probe(Callback):
    """Adds a loss term pulling its own parameter to 3.0 (stepped by its own
    optimiser) and counts every hook the loop calls."""

    name = "probe"

    def __init__(self, fail_at_epoch: int | None = None):
        self.fail_at_epoch = fail_at_epoch
        self.target = nn.Parameter(torch.zeros(1))
        self.opt = torch.optim.SGD([self.target], lr=0.2)
        self.calls = {"fit": 0, "epoch_start": 0, "epoch_end": 0, "step": 0, "loss": 0}

    def on_fit_start(self, ctx):
        self.calls["fit"] += 1

    def on_epoch_start(self, ctx):
        if ctx.epoch == self.fail_at_epoch:
            raise KeyboardInterrupt("interrupted")
        self.calls["epoch_start"] += 1

    def extra_loss(self, ctx, images, targets, outputs):
        self.calls["loss"] += 1
        assert len(outputs) == 2 and images.shape[0] == len(targets)
        return {"pull": ((self.target - 3.0) ** 2).sum()}

    def on_step_end(self, ctx):
        self.calls["step"] += 1

    def on_epoch_end(self, ctx):
        self.calls["epoch_end"] += 1
        assert "map50" in ctx.history[-1] and ctx.history[-1]["epoch"] == ctx.epoch + 1

    def optimizers(self):
        return [self.opt]

    def state_dict(self):
        return {"target": self.target.detach().clone(), "calls": dict(self.calls)}

    def load_state_dict(self, state):
        with torch.no_grad():
            self.target.copy_(state["target"])
        self.calls = dict(state["calls"])


def smoke_params():
    # no burn-in, so every step accumulates exactly nominal / batch = 2 batches
    return profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 2, "train.batch_size": 4,
                                      "train.nominal_batch": 8, "train.warmup_epochs": 0.0})


def test_callbacks_add_loss_terms_step_their_optimisers_and_persist(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    probe = Probe()
    metrics = train(smoke_params(), tmp_path / "straight", [probe], log=lambda _: None)
    batches = 2 * (16 // 4)
    assert probe.calls == {"fit": 1, "epoch_start": 2, "epoch_end": 2, "loss": batches, "step": batches // 2}
    assert 0 < probe.target.item() < 3 and all("pull" in h for h in metrics["history"])
    saved = load_checkpoint(tmp_path / "straight" / LAST)
    assert torch.equal(saved["callbacks"]["probe"]["target"], probe.target.detach())
    assert len(saved["callback_optimizers"]["probe"]) == 1


def test_an_interrupted_run_resumes_its_callbacks_state(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    straight = Probe()
    train(smoke_params(), tmp_path / "straight", [straight], log=lambda _: None)
    with pytest.raises(KeyboardInterrupt):
        train(smoke_params(), tmp_path / "cut", [Probe(fail_at_epoch=1)], log=lambda _: None)
    resumed = Probe()
    train(smoke_params(), tmp_path / "cut", [resumed], log=lambda _: None)
    # the counts restored from the checkpoint (taken after epoch 1), then one new epoch
    assert resumed.calls == {"fit": 1, "epoch_start": 2, "epoch_end": 2, "loss": 8, "step": 4}
    assert torch.equal(resumed.target, straight.target)


def test_freeze_makes_a_teacher():
    teacher = freeze(build("yolov3", 4, width=0.125).train())
    assert not teacher.training and not any(p.requires_grad for p in teacher.parameters())
    with pytest.raises(RuntimeError):
        sum(m.sum() for m in teacher(torch.rand(1, 3, 64, 64))).backward()


class Sizes(Callback):
    """Records the input size of every training batch."""

    name = "sizes"

    def __init__(self):
        self.seen = []

    def extra_loss(self, ctx, images, targets, outputs):
        self.seen.append(images.shape[-1])
        return {}


def test_multi_scale_draws_one_size_per_accumulation_group(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    sizes = Sizes()
    params = profile_params("smoke", **{"model.name": "yolov3-tiny", "train.epochs": 2, "train.batch_size": 4,
                                        "train.nominal_batch": 8, "data.multiscale": (64, 160)})
    train(params, tmp_path / "run", [sizes], log=lambda _: None)
    groups = [sizes.seen[i:i + 2] for i in range(0, len(sizes.seen), 2)]  # 8 / 4 = 2 batches a step
    assert len(sizes.seen) == 8 and all(len(set(g)) == 1 for g in groups)
    assert len(set(sizes.seen)) > 1 and set(sizes.seen) <= {64, 96, 128, 160}


class InitialScales(Callback):
    """Records whether every residual branch's last BatchNorm starts at scale 0."""

    name = "initial_scales"

    def on_fit_start(self, ctx):
        self.zeroed = all(not norm.weight.detach().any() for norm in residual_norms(ctx.model))


@pytest.mark.parametrize("zero", [False, True])
def test_training_builds_the_model_with_its_residual_initialisation(tmp_path, monkeypatch, zero):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path / "cache"))
    probe = InitialScales()
    params = profile_params("smoke", **{"model.name": "yolo-nano", "train.epochs": 1,
                                        "model.zero_init_residual": zero})
    train(params, tmp_path / "run", [probe], log=lambda _: None)
    assert probe.zeroed is zero
