from dataclasses import fields
from pathlib import Path

from lib.distill import GANParams, KDParams
from lib.lowrank import LowRankParams
from lib.paper import paper_table
from lib.prune.channels import ChannelParams
from lib.prune.cs import CSParams
from lib.prune.gradual import GradualParams
from lib.prune.lth import LTHParams
from lib.quantize import Int8Params
from lib.study.rows import ROW, ROWS, rows_of

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
METHODS = {"02_lth": LTHParams, "03_cs": CSParams, "04_kd_hints": KDParams, "05_kd_gan": GANParams,
           "07_channels": ChannelParams, "08_gradual": GradualParams, "09_quantize": Int8Params,
           "10_lowrank": LowRankParams}


def test_the_paper_tables_and_the_row_table_agree_line_for_line():
    for dataset in ("voc", "exdark"):
        paper = paper_table(dataset)
        assert [(r["model"], r["training"]) for r in paper] == \
               [(ROW[r["row"]].model, ROW[r["row"]].training) for r in paper]
        assert [r["row"] for r in paper] == [row.id for row in rows_of(dataset) if row.in_paper]


def test_rows_are_unique_read_known_rows_and_name_real_chapters_and_settings():
    assert len(ROW) == len(ROWS) == len({(r.model, r.training, r.datasets) for r in ROWS})
    for row in ROWS:
        assert all(i in ROW and ROWS.index(ROW[i]) != ROWS.index(row) for i in row.inputs)
        assert (NOTEBOOKS / f"{row.chapter}.ipynb").is_file()
        method = METHODS.get(row.chapter)
        assert set(row.settings) <= {f.name for f in fields(method)} if method else not row.settings, row.id
        assert row.footprint in ("dense", "magnitude", "trained")


def test_builtin_sets_stand_in_for_the_papers_datasets():
    assert [r.id for r in rows_of("builtin")] == [r.id for r in rows_of("voc")]
    assert "nano-kd-61-91" in {r.id for r in rows_of("builtin-dark")} - {r.id for r in rows_of("builtin")}
