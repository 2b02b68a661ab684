"""What the notebooks call, in one import (``from lib import chapter``): a row's run
(``lib.study.chapter``) and the report's tables and figures (``lib.report``). Nothing
is defined here."""
from .measure import cpu_name
from .report import *  # noqa: F403  (the report's public names, lib.report.__all__)
from .report import __all__ as _report
from .study.chapter import check_parameters, quiet, run_row, save_result

__all__ = ["check_parameters", "cpu_name", "quiet", "run_row", "save_result", *_report]
