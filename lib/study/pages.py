"""An executed notebook made into a page of the book: papermill's injected parameters
left out, the run's title as its heading, and under it the settings the run was made
with (read back from its result, so the page shows what was run, not what the
template's defaults say)."""
from __future__ import annotations

import json
from pathlib import Path

from ..result import RunResult, is_run_result

SETTINGS_KEY = "run_settings"  # the heading cell's metadata once it holds the settings
# The settings a reader compares runs by, in this order: the run's parameters, then
# the result's (its model as trained).
CORE = {"profile": "profile", "dataset": "dataset", "seed": "seed", "row": "row", "img_size": "image size",
        "width": "width", "epochs": "epochs", "model": "model"}


def flat(params: dict, prefix: str = "") -> dict:
    """Nested run parameters as dotted names -> values."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def markdown_table(header: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        return "—" if value is None else str(value).replace("|", "\\|")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])


def settings_markdown(parameters: dict, result: RunResult | None) -> str:
    """The settings of one run for its page: the core ones in a line, and for a row's run
    (``result``) its model as trained, the method's settings (a row's, with the profile's
    and the method's defaults filled in) and every run parameter in a collapsed block."""
    core = dict(parameters)
    if result is not None:
        core.update(img_size=result.img_size, width=result.width, epochs=result.epochs,
                    model=result.run_params["model"]["name"])
    shown = [(label, core[key]) for key, label in CORE.items() if key in core]
    parts = [markdown_table([label for label, _ in shown], [[value for _, value in shown]])]
    if result is None:
        return parts[0]
    settings = {k: v for k, v in result.settings.items() if v is not None}
    if settings:
        parts.append("Method settings: " + ", ".join(f"`{k} = {v}`" for k, v in settings.items()) + ".")
    every = flat(result.run_params)
    parts.append("````{admonition} Every run parameter\n:class: dropdown\n"
                 + markdown_table(["parameter", "value"], [[k, v] for k, v in every.items()]) + "\n````")
    return "\n\n".join(parts)


def try_it(template: str, parameters: dict, study_root: Path | None = None) -> str:
    """A *Try it* box: the command that runs this page's template again by hand with the
    same parameters (its inputs relative to the study's root where they are under it),
    to edit before running."""
    args = []
    for name, value in parameters.items():
        if name == "inputs":
            paths = [str(Path(p).relative_to(study_root)) if study_root and Path(p).is_relative_to(study_root) else p
                     for p in value]
            args.append(f"-y 'inputs: {json.dumps(paths)}'")
        elif name != "result_path" and value is not None:
            args.append(f"-p {name} {value}")
    command = " \\\n    ".join([f".venv/bin/python -m lib.study.run_chapter {template} /tmp/try.ipynb", *args,
                                   "-p result_path /tmp/try.json"])
    return ("````{admonition} Try it\n:class: tip\nRun this page again by hand from the repository's root, "
            "changing any parameter (`-p name value`; the template's first cell lists them all):\n\n"
            f"```bash\n{command}\n```\n````")


def finish_notebook(path: Path, title: str = "", parameters: dict | None = None, result_file: Path | None = None,
                    template: str = "", study_root: Path | None = None) -> None:
    """Tag papermill's injected-parameters cell so the book leaves it out, give the page
    the run's title (the first markdown heading) and, given the run's ``parameters`` (as
    the template received them) and ``result_file``, its settings under the heading and
    a *Try it* box with the command for ``template`` at the end."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    heading = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# ")), None)
    if title and heading is not None:
        heading.source = "\n".join([f"# {title}"] + heading.source.splitlines()[1:])
    if parameters is not None and result_file is not None and heading is not None \
            and not heading.metadata.get(SETTINGS_KEY):
        first, *rest = heading.source.splitlines()
        saved = json.loads(Path(result_file).read_text())
        settings = settings_markdown(parameters, RunResult.from_dict(saved, result_file) if is_run_result(saved) else None)
        heading.source = "\n".join([first, "", settings, "", *rest])
        heading.metadata[SETTINGS_KEY] = True
        if template and "row" in parameters:  # a trained row's run (not the study-wide pages)
            nb.cells.append(nbformat.v4.new_markdown_cell(try_it(template, parameters, study_root)))
    nbformat.write(nb, path)
