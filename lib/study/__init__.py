"""The study: chapter notebooks executed by papermill (``runner``) for the runs of a
profile (``grid``), then built into the book. ``python -m lib.study --profile cpu``."""
from .runner import Report, Run, execute, in_order, result_path

__all__ = ["Report", "Run", "execute", "in_order", "result_path"]
