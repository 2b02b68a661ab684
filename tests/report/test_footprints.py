import pytest

from lib.report.footprints import paper_scale_table


def test_paper_scale_table_matches_the_paper_where_no_training_is_needed():
    table = paper_scale_table(datasets=("voc",))
    assert len(table) == 12  # Table I less the two CS rows
    dense = table[~table["training"].str.startswith("LTH")]
    assert (dense["Δ params %"] == 0).all() and (dense["Δ MACs %"].abs() < 0.01).all()
    assert (dense["Δ storage %"].abs() < 0.5).all()
    local = table[table["training"] == "LTH Local"].iloc[0]
    assert abs(local["params"] - 6_331_150) <= 2 and abs(local["Δ MACs %"]) < 0.1
    assert local["MiB"] < 32 and local["paper MB"] == pytest.approx(118.26)
