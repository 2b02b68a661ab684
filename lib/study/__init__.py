"""The study: runs of chapter notebooks executed by papermill (``runner``). The grid of
the paper's rows, the profiles' study scales and the book build come next (issue 6)."""
from .runner import Report, Run, execute, in_order, result_path

__all__ = ["Report", "Run", "execute", "in_order", "result_path"]
