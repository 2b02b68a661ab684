import pytest
import thop
import torch
from thop.vision.basic_hooks import count_convNd, zero_ops
from torch import nn
from torch.nn.utils import prune

from lib.counting import count_macs
from lib.measure import deployed, footprint, latencies, latency
from lib.prune import magnitude_prune
from lib.models import REGISTRY, build
from lib.models.blocks import ChannelScale
from lib.paper import NUM_CLASSES, paper_table
from lib.study.rows import ROW
from lib.timing import round_robin_ms

# every paper row whose footprint does not depend on training (plain and distilled models)
DENSE_ROWS = [r for r in paper_table() if ROW[r["row"]].footprint == "dense"]


@pytest.mark.parametrize("row", DENSE_ROWS, ids=lambda r: f"{r['dataset']}-{r['row']}")
def test_dense_footprint_matches_the_paper(full_size, row):
    spec = ROW[row["row"]]
    fp = footprint(full_size(spec.arch, NUM_CLASSES[row["dataset"]], spec.activation))
    assert fp["params"] == row["params_mean"]
    assert fp["macs_paper"] == pytest.approx(row["macs_mean"], rel=1e-3)
    assert fp["storage_bytes"] / 2**20 == pytest.approx(row["storage_mb_mean"], rel=5e-3)
    assert fp["macs"] < fp["macs_paper"]


def thop_conv_linear_macs(model: nn.Module, img_size: int) -> int:
    """thop's count with every counter but conv and linear silenced: an independent MAC count.
    thop matches modules by exact type, so a ``ChannelScale`` (a 1x1 depthwise conv) is
    given thop's conv counter."""
    others = {type(m) for m in model.modules() if not list(m.children())} - {nn.Conv2d, nn.Linear, ChannelScale}
    macs, _ = thop.profile(model, inputs=(torch.zeros(1, 3, img_size, img_size),),
                           custom_ops={**{t: zero_ops for t in others}, ChannelScale: count_convNd}, verbose=False)
    return int(macs)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_macs_agree_with_thop(name):
    model = build(name, 20).eval()
    assert count_macs(model, 416)["macs"] == thop_conv_linear_macs(model, 416)


def test_masked_weights_count_as_alive_only():
    model = build("yolov3-tiny", 4, width=0.25)
    before = footprint(model, 128)
    conv = model.layers[12].conv  # 3x3 conv at 4x4 output for a 128 input
    prune.random_unstructured(conv, "weight", amount=0.75)
    pruned = int((conv.weight_mask == 0).sum())
    after = footprint(model, 128)
    assert after["params"] == before["params"]
    assert before["nonzero_params"] - after["nonzero_params"] == pruned
    assert before["macs"] - after["macs"] == pruned * 4 * 4


def test_footprint_leaves_the_model_as_it_was():
    model = build("yolo-nano", 20, width=0.25).train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    footprint(model, 64)
    assert model.training
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_latency_times_the_model_as_given_and_restores_threads_and_mode():
    model = build("yolov3-tiny", 3, width=0.25).train()
    before = torch.get_num_threads()
    assert latency(model, 64, threads=1, repeats=3) > 0
    assert torch.get_num_threads() == before and model.training


class Logged(nn.Module):
    """A module that notes its name in ``log`` at each call."""

    def __init__(self, name, log):
        super().__init__()
        self.name, self.log = name, log

    def forward(self, x):
        self.log.append(self.name)
        return x


def test_round_robin_turns_the_order_each_round_and_keeps_a_median_per_round():
    log = []
    calls = {name: (Logged(name, log), torch.zeros(1)) for name in "abc"}
    medians = round_robin_ms(calls, rounds=4, per_round=2, warmup=1)
    assert log[:3] == ["a", "b", "c"]  # one warm-up call each
    turns = [log[3 + 6 * r: 9 + 6 * r][::2] for r in range(4)]  # each module twice in a row
    assert turns == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]
    assert [len(v) for v in medians.values()] == [4, 4, 4] and all(t >= 0 for v in medians.values() for t in v)


def test_latencies_time_every_module_in_rounds_and_restore_the_threads():
    tiny, before = build("yolov3-tiny", 3, width=0.125), torch.get_num_threads()
    rounds = latencies({"small": (tiny, 64), "large": (tiny, 128)}, threads=1, rounds=3, repeats=6, warmup=1)
    assert set(rounds) == {"small", "large"} and all(len(v) == 3 for v in rounds.values())
    assert torch.get_num_threads() == before
    assert sorted(rounds["small"])[1] < sorted(rounds["large"])[1]  # 4x the pixels: the medians' order


def test_a_masked_model_is_deployed_with_sparse_kernels_and_the_same_outputs():
    torch.manual_seed(0)
    model = build("yolov3", 3, width=0.25)
    magnitude_prune(model, 0.95, "layer")
    fast = deployed(model, 64)
    assert len(fast.dispatch_table) == len([m for m in model.modules() if hasattr(m, "weight_mask")])
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(model.eval()(x), fast(x)))
    plain = build("yolov3", 3, width=0.25)
    assert deployed(plain) is plain  # a dense model is timed as it is
