"""Benchmarks that print figures (never tests): run each with ``python -m``.

    python -m lib.benchmarks.sparse_latency   # dense vs sparse inference of pruned YOLOv3
    python -m lib.benchmarks.map_rules RESULT_JSON   # a run's mAP under the study's and the authors' rules
    python -m lib.benchmarks.throughput       # loader, training and evaluation images/s per model at a profile
    python -m lib.benchmarks.labs             # wall time of each course lab at the laptop scale
"""
