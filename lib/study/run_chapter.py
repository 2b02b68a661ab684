"""Execute one chapter template by hand, as papermill does, but report a failure in
one line (the error the chapter raised, e.g. a parameter it refused) instead of under
papermill's traceback:

    python -m lib.study.run_chapter notebooks/01_baseline.ipynb /tmp/tiny.ipynb -p profile smoke \\
        -p row yolov3-tiny -p result_path /tmp/tiny.json

Takes papermill's own options (-p, -y, -f, ...), and ``--debug``: tracebacks instead of
the one line (the kernel shows its own too). The executed notebook keeps the full
traceback for whoever wants it.
"""
from __future__ import annotations

import sys

import click
from papermill.cli import papermill as papermill_cli
from papermill.exceptions import PapermillExecutionError

from ..errors import project_errors, reported
from .task import error_line


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    with reported(debug):
        try:
            papermill_cli.main(args=["--no-progress-bar", *(a for a in argv if a != "--debug")],
                               prog_name="python -m lib.study.run_chapter", standalone_mode=False)
        except PapermillExecutionError as error:
            if debug:
                raise
            print(error_line(error), file=sys.stderr)
            # an input refused: 2, as at every entry point (the project's errors this process has imported,
            # those of the study's modules); anything else, a bug: 1
            return 2 if error.ename in project_errors() else 1
        except click.ClickException as error:  # papermill's own usage errors
            if debug:
                raise
            print(f"{type(error).__name__}: {error.format_message()}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
