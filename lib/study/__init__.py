"""The study's plan and its execution: the row table (``rows``) expanded per profile
into runs of chapter notebooks (``grid``), executed by papermill (``runner``, ``task``,
``executors``); one row's run as a notebook makes it (``chapter``, ``record``); its
pages and table of contents. It reaches methods only through ``lib.methods``; what the
book shows of the results is ``lib.report``'s. ``python -m lib.study --profile cpu``."""
from .runner import Report, execute, in_order, result_path
from .task import Run

__all__ = ["Report", "Run", "execute", "in_order", "result_path"]
