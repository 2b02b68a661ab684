"""Sparse inference that is never slower than dense: each masked conv runs by the
fastest of a few kernels, chosen by timing them on the layer's own input shape.

    baked      a plain conv with the zeros baked into its weight (oneDNN's dense kernel)
    csr-im2col the CSR weight (out, in*k*k) times im2col(input), as in the paper's Fig. 1
    csr-1x1    for 1x1, stride-1, unpadded convs: the CSR weight times the input seen as
               (in, H*W), with no im2col copy
    csr-shift  for stride-1 convs: one CSR product per kernel tap, each with a shifted view
               of the padded input accumulated into one output, with no im2col copy

All compute the masked conv's output (up to float summation order). Grouped convs stay
baked: the sparse kernels here are for dense matrix products.
"""
from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..models import Detector
from ..models.io import copy_of
from ..timing import median_ms
from .masks import weight


def csr(matrix: Tensor) -> Tensor:
    with warnings.catch_warnings():  # torch calls its sparse CSR support "beta" on every conversion
        warnings.simplefilter("ignore", UserWarning)
        return matrix.to_sparse_csr()


def baked(conv: nn.Conv2d) -> nn.Conv2d:
    """A plain conv whose weight is the masked one (no mask multiplied per call)."""
    plain = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                      conv.dilation, conv.groups, conv.bias is not None, conv.padding_mode)
    with torch.no_grad():
        plain.weight.copy_(weight(conv))
        if conv.bias is not None:
            plain.bias.copy_(conv.bias)
    return plain.to(conv.weight.device)


class CsrConv(nn.Module):
    """A masked conv as CSR weight x im2col(input): x (N, C, H, W) -> (N, out, H', W')."""

    kernel = "csr-im2col"

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        w = weight(conv).detach()
        self.weight = csr(w.reshape(w.shape[0], -1))
        self.bias = None if conv.bias is None else conv.bias.detach()
        self.out_channels, self.kernel_size = w.shape[0], conv.kernel_size
        self.stride, self.padding, self.dilation = conv.stride, conv.padding, conv.dilation

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, self.stride, self.padding, self.dilation
        return (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1

    def columns(self, x: Tensor) -> Tensor:
        """(N, C*k*k, L): the matrix each image's output is the weight times."""
        return F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        out = torch.stack([torch.sparse.mm(self.weight, c) for c in self.columns(x)])
        out = out.view(n, self.out_channels, *self.output_size(h, w))
        return out if self.bias is None else out + self.bias[:, None, None]


class CsrPointwise(CsrConv):
    """A masked 1x1 conv as CSR weight x input seen as (C, H*W): no im2col."""

    kernel = "csr-1x1"

    def columns(self, x: Tensor) -> Tensor:
        return x.flatten(2)


class CsrShifted(nn.Module):
    """A masked stride-1 conv as one CSR product per kernel tap: x (N, C, H, W) ->
    (N, out, H', W'). In the padded input flattened to (C, Hp*Wp), the pixels tap (ky, kx)
    reads for every output pixel form one slice starting at ky*Wp + kx, a strided view
    the CSR product reads in place; each tap's product adds into one (out, H'*Wp) output
    whose last Wp - W' columns of a row are discarded. Taps with no weight left are skipped.
    Measured one 3x3 layer of YOLOv3 at a time (416 px, 99% sparse, 1 thread): 0.08-0.46x
    the baked dense time where im2col took 0.14-3.2x; the whole model's figures are
    lib.benchmarks.sparse_latency's."""

    kernel = "csr-shift"

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        w = weight(conv).detach()
        (self.kh, self.kw), (self.ph, self.pw) = conv.kernel_size, conv.padding
        self.out_channels = w.shape[0]
        self.taps = [(ky, kx, csr(w[:, :, ky, kx].contiguous())) for ky in range(self.kh) for kx in range(self.kw)
                     if w[:, :, ky, kx].count_nonzero() > 0]
        self.bias = None if conv.bias is None else conv.bias.detach()

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        wp = w + 2 * self.pw
        out_h, out_w = h + 2 * self.ph - self.kh + 1, wp - self.kw + 1
        # one spare row at the bottom: the last tap's slice runs kw - 1 pixels past the padding
        flat = F.pad(x, (self.pw, self.pw, self.ph, self.ph + 1)).flatten(2)
        images = []
        for image in flat:
            out = torch.zeros(self.out_channels, out_h * wp, dtype=x.dtype, device=x.device)
            for ky, kx, tap in self.taps:
                start = ky * wp + kx
                torch.addmm(out, tap, image[:, start:start + out_h * wp], out=out)
            images.append(out.view(self.out_channels, out_h, wp)[:, :, :out_w])
        out = torch.stack(images)
        return out if self.bias is None else out + self.bias[:, None, None]


def is_pointwise(conv: nn.Conv2d) -> bool:
    return conv.kernel_size == (1, 1) and conv.stride == (1, 1) and conv.padding == (0, 0)


def is_shiftable(conv: nn.Conv2d) -> bool:
    return conv.kernel_size != (1, 1) and conv.stride == (1, 1) and conv.dilation == (1, 1) \
        and conv.padding_mode == "zeros" and isinstance(conv.padding, tuple)


def candidates(conv: nn.Conv2d) -> list[nn.Module]:
    """The kernels that can run ``conv``."""
    if conv.groups != 1:
        return [baked(conv)]
    return [baked(conv), CsrConv(conv)] + ([CsrPointwise(conv)] if is_pointwise(conv) else []) \
        + ([CsrShifted(conv)] if is_shiftable(conv) else [])


def input_shapes(model: Detector, names: list[str], img_size: int) -> dict[str, tuple[int, ...]]:
    """The input shape of each named layer for one (3, img_size, img_size) image."""
    shapes, modules = {}, dict(model.named_modules())

    def keep_shape(name: str):
        def hook(module, args) -> None:  # returning anything would replace the layer's input
            shapes.setdefault(name, tuple(args[0].shape))
        return hook

    hooks = [modules[n].register_forward_pre_hook(keep_shape(n)) for n in names]
    try:
        with torch.inference_mode():
            model(torch.zeros(1, 3, img_size, img_size, device=next(model.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
    return shapes


def kernel_name(module: nn.Module) -> str:
    return getattr(module, "kernel", "baked")


KERNELS = ("baked", CsrConv.kernel, CsrPointwise.kernel, CsrShifted.kernel)


def to_sparse_inference(model: Detector, img_size: int = 416, repeats: int = 5, force: str | None = None) -> Detector:
    """A copy of ``model`` in eval mode whose masked convs each run by the fastest kernel
    (``candidates``) for a batch-1, ``img_size`` input, timed ``repeats`` times each
    with the current torch thread count, kept only if the whole model then runs no slower
    than with every conv baked (else that one); ``dispatch_table`` tells what was chosen.
    ``force``: one of KERNELS wherever it applies instead (tests, benchmarks)."""
    if force is not None and force not in KERNELS:
        raise ValueError(f"force: expected None or one of {KERNELS}, got {force!r}")
    original, model = model, copy_of(model)
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d) and hasattr(m, "weight_mask")]
    shapes = input_shapes(model, names, img_size)
    table = []
    for name in names:
        conv = model.get_submodule(name)
        x = torch.rand(shapes[name], device=conv.weight.device)
        options = candidates(conv)
        forced = [c for c in options if kernel_name(c) == force]
        timed = [(median_ms(c, x, repeats), c) for c in (forced or options)]
        ms, chosen = min(timed, key=lambda pair: pair[0])
        model.set_submodule(name, chosen)
        table.append({"layer": name, "kernel": kernel_name(chosen), "ms": ms,
                      **{f"{kernel_name(c)} ms": t for t, c in timed}})
    # Layers timed alone can mislead (caches, allocation): keep the choice only if the whole
    # model is not slower than with every conv baked, timed the same way.
    if force is None:
        x = torch.rand(1, 3, img_size, img_size, device=next(model.parameters()).device)
        dense = baked_model(original)
        if median_ms(model, x, repeats) > median_ms(dense, x, repeats):
            table = [{**row, "kernel": "baked"} for row in table]
            model = dense
    model.dispatch_table = table
    return model


def baked_model(model: Detector) -> Detector:
    """A copy of ``model`` in eval mode with every masked conv baked: the dense baseline
    a sparse model is timed against (no mask multiplication per call)."""
    model = copy_of(model)
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Conv2d) and hasattr(module, "weight_mask"):
            model.set_submodule(name, baked(module))
    return model
