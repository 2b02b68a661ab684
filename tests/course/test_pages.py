"""The book's lab pages: the master notebooks without otter-grader's markers and tests,
their solutions folded."""
import nbformat

from lib.course.assign import masters
from lib.course.pages import write_pages


def test_a_lab_page_folds_its_solutions_and_drops_the_graders_cells(tmp_path):
    pages = write_pages(tmp_path)
    assert [p.name for p in pages] == [m.name for m in masters()]
    for page, master in zip(pages, masters()):
        cells = nbformat.read(page, as_version=4).cells
        master_cells = nbformat.read(master, as_version=4).cells
        assert all(c.cell_type != "raw" for c in cells)
        text = "\n".join(c.source for c in cells)
        assert "SOLUTION" not in text and "def test_" not in text and "course.verify" not in text
        folded = [c for c in cells if "hide-input" in c.metadata.get("tags", [])]
        questions = sum(c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION") for c in master_cells)
        assert len(folded) == questions > 0


def test_the_teachers_page_states_the_targets_the_checks_apply():
    from pathlib import Path

    from lib.course import channels, efficient, lowrank, magnitude, quantization
    from lib.course.scale import SCALES
    from lib.course.targets import FINETUNE_AT_MOST

    page = (Path(__file__).resolve().parents[2] / "book" / "course.md").read_text()
    laptop = SCALES["laptop"]
    for phrase in (f"at most {magnitude.KEEP_AT_MOST:.0%} of the prunable weights",
                   f"at {laptop.map_share:.0%} of the dense validation mAP@0.5",
                   f"after a {laptop.finetune_epochs}-epoch fine-tune",
                   f"at most {channels.MACS_AT_MOST:.0%} of the MACs at {laptop.map_share:.0%} of the dense mAP, "
                   f"after at most {FINETUNE_AT_MOST} epochs of fine-tuning",
                   f"at most {quantization.BYTES_AT_MOST:.0%} of their float32 bytes",
                   f"at most {lowrank.MACS_AT_MOST:.0%} of the MACs at {laptop.map_share:.0%} of the dense mAP, "
                   f"after at most {FINETUNE_AT_MOST} epochs of fine-tuning",
                   f"at most {efficient.MACS_AT_MOST:.0%} of a 3×3 conv's MACs and a "
                   f"{efficient.RECEPTIVE_FIELD}-pixel receptive field"):
        assert phrase.replace("%", " %") in page, phrase
