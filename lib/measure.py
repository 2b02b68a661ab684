"""One definition of a model's footprint, used by tests, notebooks and the book.

``footprint(model)`` -> params, nonzero_params, macs, macs_paper (counted by
``lib.counting``), storage_bytes, storage_encoding; ``deflated_bytes(model)`` for the
like-for-like storage ledger; ``model_facts(model)``, what a run's record keeps of its
model; ``latency(model, img_size)``, the one definition of CPU latency (``latencies``:
several models timed in rounds), and
``deployed(model)``, the form a model is timed in. Storage and the deployed
form depend on the methods' file formats and kernels, so this module sits above them.
"""
from __future__ import annotations

import copy
import itertools
import platform
from collections.abc import Hashable
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from .counting import count_macs, count_nonzero_params, count_params
from .models.io import copy_of, save_weights, written_size
from .prune.dispatch import to_sparse_inference
from .prune.masks import is_masked, layer_table
from .prune.sparse import save_sparse
from .quantize.int8 import Int8Detector
from .quantize.ledger import save_encoded, storage_ledger
from .timing import median_ms, round_robin_ms

# How each storage figure is encoded, as the book names it.
ENCODINGS = {"dense": "float32 state_dict (torch.save)",
             "sparse": "sparse file: alive float32 values deflated + position code",
             "deflated": "float32 state_dict, values deflated as in the sparse file",
             "dense int8": "int8 weights (a scale per output channel), the rest float32, deflated",
             "sparse int8": "sparse file: alive values in int8 (a scale per output channel) + position code"}


def storage_encoding(model: nn.Module) -> str:
    """The encoding of ``storage_bytes``: one of ENCODINGS' keys."""
    return "sparse" if is_masked(model) else "dense"


def storage_bytes(model: nn.Module) -> int:
    """Bytes of the model file as the study saves it, exactly: the compact sparse file
    (``lib.prune.save_sparse``) for a masked model, else ``lib.models.save_weights``."""
    return written_size(lambda file: (save_sparse if is_masked(model) else save_weights)(model, file))


def deflated_bytes(model: nn.Module) -> int:
    """Bytes of the dense model file with every float tensor's values deflated as the
    sparse file deflates its alive values: the like-for-like baseline of a sparse file
    (the storage ledger's "dense deflated")."""
    return written_size(lambda file: save_encoded(model, file, "fp32"))


def footprint(model: nn.Module, img_size: int = 416) -> dict[str, int]:
    """params, nonzero_params, macs, macs_paper (both for one image), storage_bytes and
    its encoding (``storage_encoding``)."""
    return {"params": count_params(model), "nonzero_params": count_nonzero_params(model),
            **count_macs(model, img_size), "storage_bytes": storage_bytes(model),
            "storage_encoding": storage_encoding(model)}


LATENCY_REPEATS = 20
LATENCY_ROUNDS = 5  # latencies(): LATENCY_REPEATS calls in as many rounds


def on_cpu(model: nn.Module) -> nn.Module:
    """``model`` if it is on the CPU, else a copy there (a fully int8 model has buffers
    but no parameters)."""
    if all(t.device.type == "cpu" for t in itertools.chain(model.parameters(), model.buffers())):
        return model
    return copy_of(model).cpu() if hasattr(model, "arch") else copy.deepcopy(model).cpu()


@contextmanager
def torch_threads(threads: int):
    """PyTorch's intra-op thread count set to ``threads`` inside, restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def latency(model: nn.Module, img_size: int = 416, threads: int = 1, repeats: int = LATENCY_REPEATS,
            warmup: int = 3, input_shape: tuple[int, ...] | None = None) -> float:
    """CPU latency: the median milliseconds of ``repeats`` forward passes of one
    (1, 3, img_size, img_size) image (or one random input of ``input_shape``, for a
    module that is not a detector) with ``threads`` torch threads, after ``warmup``
    passes, in inference mode. The model runs as given (a copy, on the CPU if it is
    elsewhere); time ``deployed(model)`` for a masked one's sparse form."""
    model = on_cpu(model)
    was_training = model.training
    try:
        with torch_threads(threads):
            return median_ms(model.eval(), torch.rand(input_shape or (1, 3, img_size, img_size)), repeats, warmup)
    finally:
        model.train(was_training)


def latencies(forms: dict[Hashable, tuple[nn.Module, int]], threads: int = 1, rounds: int = LATENCY_ROUNDS,
              repeats: int = LATENCY_REPEATS, warmup: int = 3) -> dict[Hashable, list[float]]:
    """``latency`` of several modules at once, in rounds (``lib.timing.round_robin_ms``):
    each (module, img_size)'s median milliseconds in each of ``rounds`` rounds of
    ``repeats / rounds`` forward passes of one (1, 3, img_size, img_size) image, with
    ``threads`` torch threads, after ``warmup`` passes, in inference mode. Every module is
    held at once and put in eval mode (a copy, on the CPU if it is elsewhere)."""
    calls = {key: (on_cpu(module).eval(), torch.rand(1, 3, size, size)) for key, (module, size) in forms.items()}
    with torch_threads(threads):
        return round_robin_ms(calls, rounds, max(1, repeats // rounds), warmup)


def deployed(model: nn.Module, img_size: int = 416, threads: int = 1) -> nn.Module:
    """The form a model is timed in: a masked model with each conv run by its fastest
    kernel for this input size and thread count (``lib.prune.to_sparse_inference``),
    an int8 one compiled by inductor (its int8 oneDNN kernels; ``Int8Detector.compiled``),
    any other as it is (a channel-pruned model is already a smaller dense one)."""
    if isinstance(model, Int8Detector):
        return model.compiled()
    if not is_masked(model):
        return model
    with torch_threads(threads):
        return to_sparse_inference(on_cpu(model), img_size)


def model_facts(model: nn.Module, img_size: int = 416) -> dict:
    """What a run's record keeps of its model: its ``footprint``, its storage ledger (its
    file in every encoding, ``lib.quantize.LEDGER``) and, per masked layer, its alive and
    total weights and sparsity."""
    return {"footprint": footprint(model, img_size), "ledger": storage_ledger(model),
            "layers": [{k: v for k, v in layer.items() if k != "shape"} for layer in layer_table(model)]}


def cpu_name() -> str:
    """The CPU's model name (for the record of where latencies were measured)."""
    info = Path("/proc/cpuinfo")
    if info.exists():
        for line in info.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
