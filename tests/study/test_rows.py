from dataclasses import fields
from pathlib import Path

from lib.methods import METHODS
from lib.paper import paper_table
from lib.study.rows import ROW, ROWS, rows_of

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_the_paper_tables_and_the_row_table_agree_line_for_line():
    for dataset in ("voc", "exdark"):
        paper = paper_table(dataset)
        assert [(r["model"], r["training"]) for r in paper] == \
               [(ROW[r["row"]].model, ROW[r["row"]].training) for r in paper]
        assert [r["row"] for r in paper] == [row.id for row in rows_of(dataset) if row.in_paper]


def test_rows_are_unique_read_known_rows_and_name_real_chapters_and_settings():
    assert len(ROW) == len(ROWS) == len({(r.model, r.training, r.datasets) for r in ROWS})
    for row in ROWS:
        assert all(i in ROW and ROWS.index(ROW[i]) != ROWS.index(row) for i in row.inputs.values())
        assert (NOTEBOOKS / f"{row.chapter}.ipynb").is_file()
        assert set(row.settings) <= {f.name for f in fields(METHODS[row.method].settings)}, row.id
        assert row.footprint in ("dense", "magnitude", "trained")


def test_builtin_sets_stand_in_for_the_papers_datasets():
    assert [r.id for r in rows_of("builtin")] == [r.id for r in rows_of("voc")]
    assert "nano-kd-61-91" in {r.id for r in rows_of("builtin-dark")} - {r.id for r in rows_of("builtin")}
