"""The deployment section: both runtimes side by side, and its three answers computed
from the timed runs."""
import pytest

from lib.report.deployment import deployment_answers, deployment_table
from lib.report.results import runs_frame
from lib.result import Latency
from tests.report.test_results import result

# row -> (mAP@0.5 per seed, study MiB, PyTorch ms, onnxruntime ms, ONNX bytes)
RUNS = {"yolov3": ((0.50, 0.52, 0.54), 4.0, 10.0, 4.0, 4 * 2**20),
        "yolov3-channels-11": ((0.45, 0.47, 0.49), 0.5, 2.0, 0.5, 2**19),
        "yolov3-lth-local": ((0.48, 0.50, 0.52), 0.8, 12.0, 4.0, 4 * 2**20),
        "yolov3-int8": ((0.49, 0.51, 0.53), 1.0, 3.0, 2.0, 2**20)}


# each time in 5 rounds: its value in all but the second, where the machine ran at half speed
SLOW_SECOND = (1.0, 2.0, 1.0, 1.0, 1.0)


def timed(ms, onnx, size, rounds=SLOW_SECOND):
    times = {"ms": ms, "ms_416": 10 * ms, "onnx_ms": onnx, "onnx_ms_416": 10 * onnx}
    return Latency(**times, onnx_bytes=size, rounds={k: [v * f for f in rounds] for k, v in times.items()})


def timed_runs():
    return runs_frame([result(row, seed, m, 100, mb=mb).with_latency(timed(ms, onnx, size))
                       for row, (maps, mb, ms, onnx, size) in RUNS.items() for seed, m in enumerate(maps)])


def test_the_table_sets_both_runtimes_and_both_files_side_by_side():
    table = deployment_table(timed_runs(), "builtin").set_index("training")
    assert table.loc["Channels, 11% MACs", "ONNX MiB"] == 0.5 and table.loc["Default", "study file MiB"] == 4.0
    assert table.loc["Channels, 11% MACs", "onnxruntime ms at 416"] == 5.0
    assert table.loc["Default", "onnxruntime × PyTorch"] == pytest.approx(0.4)
    assert table.loc["Default", "mAP@0.5"] == pytest.approx(0.52)


def test_the_answers_are_the_builds_ratios_and_its_verdict():
    answers = deployment_answers(timed_runs(), "builtin")
    assert "study file is 12% of the dense one's and its ONNX file 12%" in answers["channels"]
    # the slow round slowed both models alike: their ratio is the same in every round
    assert ("0.20× (0.20–0.20 over 5 rounds) the dense model's time in PyTorch and 0.12× (0.12–0.12 over 5 rounds) in "
            "onnxruntime") in answers["channels"]
    assert "sparse file is 20% of the dense file" in answers["sparse"] and "ONNX file is 100%" in answers["sparse"]
    assert "Smaller as the study's sparse file only." in answers["sparse"] and "Yes, in every round." in answers["channels"]
    assert "runs it in 1.00× (1.00–1.00 over 5 rounds) the dense time" in answers["sparse"]
    assert "runs in 0.30× (0.30–0.30 over 5 rounds) its float time in PyTorch" in answers["int8"]
    assert "0.50× (0.50–0.50 over 5 rounds) and 0.50× (0.50–0.50 over 5 rounds)" in answers["int8"]
    assert "by -0.010 (0.510 against 0.520 for the float models it was quantized from), within the seed spread" \
        in answers["int8"]


def test_int8_is_weighed_against_the_seeds_it_quantized():
    runs = timed_runs()
    runs = runs[(runs["row"] != "yolov3-int8") | (runs["seed"] == 0)]  # the cpu plan: int8 of seed 0 only
    answer = deployment_answers(runs, "builtin")["int8"]
    assert "by -0.010 (0.490 against 0.500 for the float model it was quantized from)" in answer  # not the 0.520 mean


def test_an_answer_says_when_its_row_did_not_run():
    runs = timed_runs()
    answers = deployment_answers(runs[runs["row"] != "yolov3-int8"], "builtin")
    assert answers["int8"] == "YOLOv3, int8, post-training did not run (or was not timed) in this build."
    assert "Yes, in every round." in answers["channels"]


def test_the_answers_verdicts_follow_the_numbers():
    runs = timed_runs()
    slow = runs["row"] == "yolov3-channels-11"
    later = timed(2.0, 5.0, 1).rounds  # in onnxruntime 50 ms at 416 against the dense model's 40
    runs.loc[slow, "latency_rounds"] = [later] * slow.sum()
    runs.loc[runs["row"] == "yolov3-lth-local", "storage_mib"] = 4.0  # a sparse file no smaller than dense
    answers = deployment_answers(runs, "builtin")
    assert "Not everywhere in this build." in answers["channels"] and "Yes" not in answers["channels"]
    assert "Not smaller in this build." in answers["sparse"]


def test_times_are_compared_round_by_round_and_faster_means_faster_in_every_round():
    runs = timed_runs()
    dense, channels = (runs["row"] == row for row in ("yolov3", "yolov3-channels-11"))
    # the dense model slow in the second and third rounds (medians 10 ms), the channel-pruned one
    # at 4 ms then 2: 0.4x as the ratio of the medians, 0.2x in three rounds of five
    runs.loc[dense, "latency_rounds"] = [timed(10.0, 4.0, 1, (1.0, 2.0, 2.0, 1.0, 1.0)).rounds] * dense.sum()
    runs.loc[channels, "latency_rounds"] = [timed(2.0, 0.5, 1, (2.0, 2.0, 2.0, 1.0, 1.0)).rounds] * channels.sum()
    runs.loc[channels, "latency_ms"] = 4.0  # the median of its rounds
    answer = deployment_answers(runs, "builtin")["channels"]
    assert "runs in 0.20× (0.20–0.40 over 5 rounds) the dense model's time in PyTorch" in answer
    assert "Yes, in every round." in answer
    slow = timed(2.0, 0.5, 1, (1.0, 1.0, 1.0, 1.0, 6.0)).rounds  # one round at 6x: slower than dense in it
    runs.loc[channels, "latency_rounds"] = [slow] * channels.sum()
    answer = deployment_answers(runs, "builtin")["channels"]
    assert "0.20× (0.10–1.20 over 5 rounds)" in answer and "Not everywhere in this build." in answer
