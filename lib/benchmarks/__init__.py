"""Benchmarks that print figures (never tests): run each with ``python -m``.

    python -m lib.benchmarks.sparse_latency   # dense vs sparse inference of pruned YOLOv3
"""
