"""A detector as an ONNX graph: (N, 3, S, S) images in, the raw head maps out."""
from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from ..models import Detector
from ..models.blocks import ConvBNAct
from ..models.io import copy_of
from ..models.shapes import DYNAMIC_INPUT
from ..prune.dispatch import baked_model
from ..prune.masks import is_masked
from .runtime import INPUT, session

OPSET = 18


def output_names(model: Detector) -> list[str]:
    return [f"map{i}" for i in range(len(model.strides))]


def exportable(model: Detector) -> Detector:
    """A copy in eval mode on the CPU that the exporter can trace: a masked model's convs
    baked (its zeros become plain weights; no mask multiplied per call)."""
    return (baked_model(model) if is_masked(model) else copy_of(model)).cpu().eval()


def folded(model: Detector) -> Detector:
    """A copy of ``model`` (in eval mode) with each conv-BatchNorm block's BatchNorm folded
    into its plain conv, as onnxruntime would fold it at load: the shipped file is the
    graph that runs, and the exporter traces half the nodes (it took 0.6x the time for
    YOLOv3 and Nano on 2 cores)."""
    model = copy.deepcopy(model)
    for block in model.modules():
        if isinstance(block, ConvBNAct) and type(block.conv) is nn.Conv2d:
            block.conv, block.bn = fuse_conv_bn_eval(block.conv, block.bn), nn.Identity()
    return model


def to_onnx(model: Detector, path: str | Path, img_size: int = 416, check: bool = True,
            like: str | Path | None = None) -> Path:
    """Write ``model`` to ``path`` as ONNX (opset ``OPSET``, one file, batch size and
    square side free, ``DYNAMIC_INPUT``; BatchNorms ``folded``; traced at ``img_size``); with
    ``check``, the file passes ``onnx.checker`` and its outputs on a random image equal
    those of ``model`` itself in PyTorch (``assert_same_outputs``). ``like``: a file this
    function wrote of a model of the same architecture, whose graph is reused with
    ``model``'s weights (``reweighted``) instead of tracing anew, where they fit it and
    the file then passes the check (so never without ``check``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = exportable(model)
    x = torch.rand(1, 3, img_size, img_size, generator=torch.Generator().manual_seed(0))
    weights = folded(plain)
    if check and like is not None and reweighted(weights, like, path):
        try:
            return checked(plain, path, x)
        except AssertionError:
            pass  # the graph computes from the weights in a way their names do not show: traced below
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's notices about its own internals
        program = torch.onnx.export(weights, (x,), dynamo=True, input_names=[INPUT], output_names=output_names(plain),
                                    opset_version=OPSET, dynamic_shapes=(DYNAMIC_INPUT,),
                                    external_data=False, verbose=False)
        program.save(str(path))
    return checked(plain, path, x) if check else path


def checked(model: Detector, path: Path, x: torch.Tensor) -> Path:
    """``path``, once it passes ``onnx.checker`` and gives ``model``'s outputs on ``x``."""
    import onnx  # where a file is written (lib.export.runtime)
    onnx.checker.check_model(str(path), full_check=True)
    assert_same_outputs(model, path, x)
    return path


# Tracing takes seconds (about 7 s for YOLOv3 at width 0.25, one thread), writing weights
# into a traced graph a tenth of that; the study's rows share a few architectures.
def reweighted(model: Detector, graph: str | Path, path: Path) -> bool:
    """Write the ONNX file ``graph`` to ``path`` with ``model``'s float weights as its
    initializers (the exporter names them after the state_dict's entries); False, writing
    nothing, where they do not fit it: an entry of another shape, or one the graph lacks
    that is not zero (the exporter leaves out an all-zero conv bias, so a traced graph's
    inputs depend on the values it was traced with). Integer buffers (a BatchNorm's step
    count) do not enter the graph."""
    import onnx
    from onnx import numpy_helper
    proto = onnx.load(str(graph))
    initializers = {init.name: init for init in proto.graph.initializer}
    for name, value in model.state_dict().items():
        if not value.is_floating_point():
            continue
        init = initializers.get(name)
        if init is None:
            if bool(value.any()):
                return False
            continue
        if tuple(init.dims) != tuple(value.shape) or init.data_type != onnx.TensorProto.FLOAT:
            return False
        init.CopyFrom(numpy_helper.from_array(value.detach().cpu().float().contiguous().numpy(), name))
    onnx.save(proto, str(path))
    return True


def assert_same_outputs(model: Detector, path: Path, x: torch.Tensor, tolerance: float = 1e-4) -> None:
    """onnxruntime's head maps of ``x`` equal ``model``'s within ``tolerance`` of each
    map's scale (its largest absolute value): float sums in another order, nothing else."""
    with torch.no_grad():
        expected = [m.numpy() for m in model(x)]
    got = session(path).run(None, {INPUT: x.numpy()})
    for name, want, have in zip(output_names(model), expected, got):
        scale = max(float(np.abs(want).max()), 1e-12)
        error = float(np.abs(want - have).max()) / scale
        if want.shape != have.shape or error > tolerance:
            raise AssertionError(f"{path}: output {name} differs from PyTorch's: shape {have.shape} vs {want.shape}, "
                                 f"max error {error:.2e} of the map's scale (tolerance {tolerance:g})")
