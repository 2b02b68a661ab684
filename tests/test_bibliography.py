"""The book's references: every key a page cites has an entry in book/references.bib, and
every entry is cited somewhere (a bibliography of works the book never uses misleads)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "book" / "references.bib"
ENTRY = re.compile(r"^@\w+\{([^,\s]+),", re.M)
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def bib_keys(text: str) -> list[str]:
    return ENTRY.findall(text)


def cited_keys(text: str) -> set[str]:
    return {key.strip() for keys in CITE.findall(text) for key in keys.split(",")}


def book_sources() -> list[Path]:
    return sorted([*(ROOT / "book").glob("*.md"), *(ROOT / "notebooks").glob("*.ipynb")])


def test_the_helpers_read_entries_and_roles():
    assert bib_keys("@misc{a2020,\n title={x}}\n@inproceedings{b-c_1,\n}") == ["a2020", "b-c_1"]
    assert cited_keys("see {cite:t}`a2020` and {cite:p}`b, c` or {cite}`d`; not `e`") == {"a2020", "b", "c", "d"}


def test_every_citation_has_an_entry_and_every_entry_is_cited():
    keys = bib_keys(BIB.read_text(encoding="utf-8"))
    assert len(keys) == len(set(keys)), "a key defined twice"
    cited = set().union(*(cited_keys(path.read_text(encoding="utf-8")) for path in book_sources()))
    assert sorted(cited - set(keys)) == [], "cited without an entry in book/references.bib"
    assert sorted(set(keys) - cited) == [], "entries no page cites"


def test_the_paper_and_its_reference_list_are_in_the_bibliography():
    """The paper, its predecessor and thesis, and its own 26 references (as printed)."""
    keys = set(bib_keys(BIB.read_text(encoding="utf-8")))
    paper = {"salvi2021model", "salvi2020experimental", "salvi2021thesis"}
    its_references = {
        "canziani2016analysis", "chen2017learning", "cheng2017survey", "courbariaux2015binaryconnect",
        "courbariaux2016binarized", "denton2014exploiting", "everingham2007voc", "everingham2012voc",
        "frankle2018lottery", "frankle2019stabilizing", "gong2014compressing", "han2015deep", "he2019bag",
        "hinton2015distilling", "iandola2016squeezenet", "jocher2019yolov3", "li2016multibias", "lin2017focal",
        "rastegari2016xnor", "redmon2018yolov3", "romero2014fitnets", "savarese2019winning", "tung2018clipq",
        "wang2020gan", "wang2018kdgan", "wong2019yolonano"}
    assert len(its_references) == 26 and paper | its_references <= keys
