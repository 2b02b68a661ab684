"""Reproducible study of model compression for YOLOv3-family object detectors.

One folder (or module) per concern, each with a small entry point:

- ``lib.models``: the detector zoo built by name (YOLOv3, Tiny, Nano, Mobile), feature
  taps by the paper's layer names, the model file.
- ``lib.data``: datasets by name (built-in, VOC, ExDark, VOC-format), validated readers,
  the built-in scene generator, augmentation and the letterbox.
- ``lib.params``, ``lib.profiles``: typed, validated, hashable run parameters and the
  named scales of the study with their study settings.
- ``lib.paths``: where every file of a run lives; ``lib.hashing``: the one content hash.
- ``lib.train``: one training run from its parameters, the callback-driven loop, the YOLO
  loss, schedule, checkpoints and DDP.
- ``lib.evaluate``: NMS, mAP (VOC rules), COCO metrics.
- ``lib.counting``, ``lib.timing``: parameters and MACs (two rules), and the median
  timer, below every method.
- ``lib.measure``: the footprint (counts and storage) and latency of any model.
- ``lib.prune``: masks, magnitude pruning, lottery tickets, continuous sparsification,
  rewinding, the sparse file and sparse inference.
- ``lib.distill``: hint-based and GAN-based distillation as training callbacks.
- ``lib.result``, ``lib.method``: a run's typed result; what a method declares.
- ``lib.methods``: the registry of compression methods, one module each.
- ``lib.study``: the study's rows, their runs as executed notebooks, one row's run.
- ``lib.report``: the results tables, glued prose and figures, read from typed results.
- ``lib.chapter``: the notebooks' one import.
- ``lib.paper``: the paper's Tables I and II as data.
- ``lib.benchmarks``: scripts that print measurements (never tests).

The facts the code relies on are written out in the book's appendix
*The study in engineering terms* (``book/spec.md``).
"""

__version__ = "0.1.0"
