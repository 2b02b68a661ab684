"""The input shapes a detector's graph is traced for, when it is exported (to ONNX) or
quantized (PT2E): one definition, so both graphs take the same inputs."""
from __future__ import annotations

import torch

# Batch size and square side free; a side is a multiple of the largest stride (32), as
# every input the study gives is. Export fixes a dimension of size 1, so a traced example
# needs a batch of 2 for the batch to stay free.
SIDE = 32 * torch.export.Dim("side_in_strides", min=1, max=64)
DYNAMIC_INPUT = {0: torch.export.Dim("batch", max=1024), 2: SIDE, 3: SIDE}
