"""The study: the row table (``rows``) expanded per profile into runs of chapter
notebooks (``grid``), executed by papermill (``runner``); what the notebooks call
(``chapter``) and the results tables, figures and footprints they show.
``python -m lib.study --profile cpu``."""
from .runner import Report, Run, execute, in_order, result_path

__all__ = ["Report", "Run", "execute", "in_order", "result_path"]
