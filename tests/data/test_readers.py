import numpy as np
import pytest

from lib.data import DatasetError, open_split, read_exdark, read_voc
from lib.data.voc import VOC_CLASSES
from tests.data.formats import voc_object, write_exdark, write_image, write_split, write_voc_item


@pytest.fixture
def voc_root(tmp_path):
    folder = tmp_path / "VOCdevkit" / "VOC2012"
    write_voc_item(folder, "a", [voc_object("dog", (1, 1, 10, 20)), voc_object("person", (5, 6, 64, 48), 1)])
    write_voc_item(folder, "b", [voc_object("cat", (2.5, 3.5, 30.5, 40.0))], size=(40, 44))
    write_split(folder, "train", ["a", "b"])
    return tmp_path


def test_voc_boxes_difficult_and_coordinates(voc_root):
    index = read_voc(voc_root, "train", year=2012, classes=VOC_CLASSES)
    a, b = index.records
    assert index.classes == VOC_CLASSES and len(index) == 2
    np.testing.assert_array_equal(a.boxes, [[0, 0, 10, 20], [4, 5, 64, 48]])  # 1-based inclusive -> 0-based
    assert a.labels.tolist() == [VOC_CLASSES.index("dog"), VOC_CLASSES.index("person")]
    assert a.difficult.tolist() == [False, True]
    assert (b.width, b.height) == (40, 44)
    np.testing.assert_allclose(b.boxes, [[1.5, 2.5, 30.5, 40.0]])


def test_voc_paper_years_through_open_split(voc_root):
    assert len(open_split("voc", "train", data_root=voc_root)) == 2  # VOC2012 for train
    with pytest.raises(DatasetError, match="VOC2007"):                # VOC2007 for test
        open_split("voc", "test", data_root=voc_root)


def test_real_world_xml_variations(tmp_path):
    # no difficult, extra fields, <size> nested elsewhere, one file without <size> at all
    extra = "<pose>Left</pose><truncated>1</truncated><occluded>0</occluded><attributes><a>1</a></attributes>"
    write_voc_item(tmp_path, "x", [voc_object("cat", (1, 1, 5, 5), None, extra)],
                   size_xml="<source><database>mine</database></source><meta><size><width>64</width>"
                            "<height>48</height></size></meta>")
    write_voc_item(tmp_path, "y", [voc_object("cat", (1.0, 2.0, 63.7, 47.9))], size_xml="")
    write_split(tmp_path, "train", ["x", "y"])
    x, y = read_voc(tmp_path, "train", classes=["cat"]).records
    assert x.difficult.tolist() == [False] and (y.width, y.height) == (64, 48)


def test_classes_collected_from_annotations(tmp_path):
    write_voc_item(tmp_path, "a", [voc_object("zebra", (1, 1, 5, 5)), voc_object("ant", (1, 1, 5, 5))])
    write_voc_item(tmp_path, "b", [voc_object("moth", (1, 1, 5, 5))])
    write_split(tmp_path, "train", ["a"])
    index = read_voc(tmp_path, "train")
    assert index.classes == ("ant", "moth", "zebra")
    assert index.records[0].labels.tolist() == [2, 0]


def test_split_made_when_the_dataset_has_none(tmp_path):
    for i in range(20):
        write_voc_item(tmp_path, f"{i:02d}", [voc_object("cat", (1, 1, 5, 5))])
    parts = {s: {r.image.stem for r in read_voc(tmp_path, s, split_seed=1).records} for s in ("train", "val", "test")}
    assert sum(map(len, parts.values())) == 20 and set.union(*parts.values()) == {f"{i:02d}" for i in range(20)}
    assert [len(parts[s]) for s in ("train", "val", "test")] == [16, 2, 2]
    again = {r.image.stem for r in read_voc(tmp_path, "val", split_seed=1).records}
    other = {r.image.stem for r in read_voc(tmp_path, "val", split_seed=2).records}
    assert again == parts["val"] and other != parts["val"]


BAD_VOC = {
    "malformed": ("<annotation><object>", "xml"),
    "unknown_class": (voc_object("unicorn", (1, 1, 5, 5)), "object[0]/name"),
    "outside": (voc_object("cat", (1, 1, 65, 20)), "object[0]/bndbox"),
    "zero_area": (voc_object("cat", (10, 1, 9, 20)), "object[0]/bndbox"),
    "not_a_number": (voc_object("cat", ("a", 1, 5, 5)), "object[0]/bndbox/xmin"),
    "no_box": ("<object><name>cat</name></object>", "object[0]/bndbox"),
}


@pytest.mark.parametrize("case", sorted(BAD_VOC))
def test_bad_voc_file_is_named_with_its_field(tmp_path, case):
    content, field = BAD_VOC[case]
    write_voc_item(tmp_path, "good", [voc_object("cat", (1, 1, 5, 5))])
    bad = write_voc_item(tmp_path, "bad", [content] if case != "malformed" else [])
    if case == "malformed":
        bad.write_text(content)
    write_split(tmp_path, "train", ["good", "bad"])
    with pytest.raises(DatasetError) as err:
        read_voc(tmp_path, "train", classes=["cat"])
    assert str(bad) in str(err.value) and field in str(err.value)


def test_missing_image_names_the_annotation_and_filename(tmp_path):
    xml = write_voc_item(tmp_path, "lost", [voc_object("cat", (1, 1, 5, 5))], image=False)
    write_split(tmp_path, "train", ["lost"])
    with pytest.raises(DatasetError, match=f"{xml}: filename: no image lost.jpg"):
        read_voc(tmp_path, "train", classes=["cat"])


@pytest.mark.parametrize("content,message", [(None, "does not exist"), ("\n\n", "is empty")])
def test_missing_or_empty_split_file(tmp_path, content, message):
    write_voc_item(tmp_path, "a", [voc_object("cat", (1, 1, 5, 5))])
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    if content is not None:
        (tmp_path / "ImageSets" / "Main" / "val.txt").write_text(content)
    with pytest.raises(DatasetError, match=f"val.txt {message}"):
        read_voc(tmp_path, "val", classes=["cat"])


def test_a_missing_validation_list_is_carved_from_the_training_list_once(tmp_path, capsys):
    names = [f"im{i:02d}" for i in range(20)]
    for name in names + ["t0", "t1"]:
        write_voc_item(tmp_path, name, [voc_object("cat", (1, 1, 5, 5))])
    write_split(tmp_path, "train", names)
    write_split(tmp_path, "test", ["t0", "t1"])
    train, val = (read_voc(tmp_path, s, classes=["cat"], split_seed=3) for s in ("train", "val"))
    test = read_voc(tmp_path, "test", classes=["cat"], split_seed=3)
    stems = lambda index: {r.image.stem for r in index.records}  # noqa: E731
    assert len(stems(val)) == 2 and len(stems(train)) == 18 and stems(train) | stems(val) == set(names)
    assert stems(test) == {"t0", "t1"}  # an existing list is used as it is
    assert stems(read_voc(tmp_path, "val", classes=["cat"], split_seed=3)) == stems(val)  # seeded
    out = capsys.readouterr().out
    assert out.count("no val.txt; carved val (2 images) from train.txt (seed 3)") == 1


def test_a_data_root_one_level_too_high_gets_a_hint_that_works(tmp_path, monkeypatch):
    from lib.profiles import profile_params
    from lib.train.run import open_data

    base = tmp_path / "VOCdevkit" / "VOC2007"
    for name in "abcdefghi":
        write_voc_item(base, name, [voc_object("cat", (1, 1, 5, 5))])
    for split, names in (("train", "abc"), ("val", "def"), ("test", "ghi")):
        write_split(base, split, list(names))
    with pytest.raises(DatasetError, match=r"set data.year to one of \['2007'\] \(lib.train: --set data.year=2007; "
                                           r"a chapter: -y 'overrides: \{data.year: 2007\}'\)"):
        open_split("vocformat", "train", data_root=tmp_path)
    params = profile_params("smoke", **{"data.dataset": "vocformat", "data.data_root": str(tmp_path), "data.year": 2007})
    assert [len(index.records) for index in open_data(params).values()] == [3, 3, 3]


@pytest.mark.parametrize("size_xml", ["<size><width>inf</width><height>48</height></size>",
                                      "<size><width>64e12</width><height>nan</height></size>"])
def test_a_misstated_size_is_replaced_by_the_image_header(tmp_path, size_xml):
    write_voc_item(tmp_path, "a", [voc_object("cat", (1, 2, 30, 40))], size_xml=size_xml)
    write_split(tmp_path, "train", ["a"])
    record = read_voc(tmp_path, "train", classes=["cat"]).records[0]
    assert (record.width, record.height) == (64, 48)


@pytest.mark.parametrize("value", ["nan", "inf", "2", "yes"])
def test_a_difficult_flag_that_is_not_0_or_1_names_the_file_and_field(tmp_path, value):
    xml = write_voc_item(tmp_path, "a", [voc_object("cat", (1, 2, 30, 40), difficult=value)])
    write_split(tmp_path, "train", ["a"])
    with pytest.raises(DatasetError, match=f"{xml}: object\\[0\\]/difficult: expected 0 or 1, got '{value}'"):
        read_voc(tmp_path, "train", classes=["cat"])


def test_skip_invalid_warns_with_files_and_count(tmp_path):
    write_voc_item(tmp_path, "good", [voc_object("cat", (1, 1, 5, 5))])
    bad1 = write_voc_item(tmp_path, "bad1", [voc_object("cat", (1, 1, 99, 5))])
    bad2 = write_voc_item(tmp_path, "bad2", [voc_object("owl", (1, 1, 5, 5))])
    write_split(tmp_path, "train", ["good", "bad1", "bad2"])
    with pytest.warns(UserWarning, match="skipped 2 invalid") as record:
        index = read_voc(tmp_path, "train", classes=["cat"], skip_invalid=True)
    assert [r.image.stem for r in index.records] == ["good"]
    assert str(bad1) in str(record[0].message) and str(bad2) in str(record[0].message)


def test_missing_data_root_and_unknown_dataset(tmp_path):
    with pytest.raises(DatasetError, match="data_root: required"):
        open_split("exdark", "train")
    with pytest.raises(DatasetError, match="data_root: folder .* does not exist"):
        open_split("voc", "train", data_root=tmp_path / "nowhere")
    with pytest.raises(DatasetError, match="dataset: unknown name 'coco'"):
        open_split("coco", "train")


EXDARK_ITEMS = [
    ("Bicycle", "2015_00001.png", 1, ["Bicycle 10 5 20 30 0 0 0 0 0 0 0", "People 0 0 80 60 0 0 0 0 0 0 0"]),
    ("Cup", "2015_00002.JPG", 1, ["Cup 1 2 3 4 0 0 0 0 0 0 0"]),
    ("Table", "2015_00003.jpeg", 2, ["Table 40 30 10 10 0 0 0 0 0 0 0"]),
    ("Dog", "2015_00004.jpg", 3, ["Dog 5 5 5 5 0 0 0 0 0 0 0"]),
]


@pytest.mark.parametrize("nested", [True, False])
def test_exdark_native_layout_and_split(tmp_path, nested):
    write_exdark(tmp_path, EXDARK_ITEMS, nested=nested, listed_names={"2015_00002.JPG": "2015_00002.jpg"})
    train = read_exdark(tmp_path, "train")
    assert len(train.classes) == 12 and [r.image.name for r in train.records] == ["2015_00001.png", "2015_00002.JPG"]
    first = train.records[0]
    np.testing.assert_array_equal(first.boxes, [[10, 5, 30, 35], [0, 0, 80, 60]])  # l t w h -> xyxy
    assert first.labels.tolist() == [0, 10] and (first.width, first.height) == (80, 60)
    assert [len(read_exdark(tmp_path, s)) for s in ("val", "test")] == [1, 1]


BAD_EXDARK = {
    "header": (["Bicycle 1 1 5 5"], "line 1", False),
    "class": (["Unicorn 1 1 5 5 0 0 0 0 0 0 0"], "line 2: class", False),
    "numbers": (["Bicycle a b 5 5 0 0 0 0 0 0 0"], "line 2: l t w h", False),
    "short": (["Bicycle 1 1"], "line 2", False),
    "outside": (["Bicycle 70 1 20 5 0 0 0 0 0 0 0"], "line 2: box", False),
}


@pytest.mark.parametrize("case", sorted(BAD_EXDARK))
def test_bad_exdark_annotation_is_named_with_its_line(tmp_path, case):
    lines, field, _ = BAD_EXDARK[case]
    write_exdark(tmp_path, [("Bicycle", "a.jpg", 1, lines)])
    ann = tmp_path / "ExDark_Annno" / "ExDark_Annno" / "Bicycle" / "a.jpg.txt"
    if case == "header":
        ann.write_text("Bicycle 1 1 5 5\n")
    with pytest.raises(DatasetError) as err:
        read_exdark(tmp_path, "train")
    assert f"{ann}: {field}" in str(err.value)


def test_bad_exdark_split_file_and_missing_files(tmp_path):
    listing = write_exdark(tmp_path, [("Bicycle", "a.jpg", 1, ["Bicycle 1 1 5 5 0 0 0 0 0 0 0"])])
    listing.write_text(listing.read_text() + "b.jpg 1 2 1\nc.jpg 1 2 1 1\nd.jpg 14 2 1 1\ne.jpg 1 2 1 1\n")
    write_image(tmp_path / "ExDark" / "ExDark" / "Bicycle" / "c.jpg")
    with pytest.raises(DatasetError) as err:
        read_exdark(tmp_path, "train")
    message = str(err.value)
    assert f"{listing}: line 3" in message            # too few fields
    assert f"{listing}: line 4: annotation" in message  # image without annotation
    assert f"{listing}: line 5" in message and "class must be 1..12" in message
    assert f"{listing}: line 6: image: no image e.jpg" in message
    listing.write_text("")
    with pytest.raises(DatasetError, match="imageclasslist.txt is empty"):
        read_exdark(tmp_path, "train")
