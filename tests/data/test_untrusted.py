"""Datasets from someone else: paths stay inside the dataset, splits are sets, carving
never leaves a split empty, and class lists name each class once."""
import pytest

from lib.data import DatasetError, read_exdark, read_voc
from tests.data.formats import voc_object, write_exdark, write_image, write_split, write_voc_item

CAT = [voc_object("cat", (1, 1, 5, 5))]


def test_an_annotation_naming_another_image_is_refused_with_both_named(tmp_path):
    write_voc_item(tmp_path, "img005", CAT, size=(40, 30))
    xml = write_voc_item(tmp_path, "img000", CAT)
    xml.write_text(xml.read_text().replace("<filename>img000.jpg</filename>", "<filename>img005.jpg</filename>"))
    write_split(tmp_path, "train", ["img000"])
    with pytest.raises(DatasetError, match=r"img000.xml: filename: <filename> 'img005.jpg' names another image "
                                           r"than the annotation's own id 'img000'"):
        read_voc(tmp_path, "train", classes=["cat"])


def test_an_annotation_filename_leading_out_of_the_dataset_is_refused_unopened(tmp_path):
    outside = write_image(tmp_path / "secret.jpg")
    root = tmp_path / "set"
    xml = write_voc_item(root, "a", CAT, image=False)
    xml.write_text(xml.read_text().replace("<filename>a.jpg</filename>", "<filename>../../secret.jpg</filename>"))
    write_split(root, "train", ["a"])
    with pytest.raises(DatasetError, match="names another image") as err:
        read_voc(root, "train", classes=["cat"])
    assert outside.exists() and "does not exist" not in str(err.value)


def test_the_filename_may_give_the_image_suffix(tmp_path):
    write_image(tmp_path / "JPEGImages" / "p.png")
    xml = write_voc_item(tmp_path, "p", CAT, image=False)
    xml.write_text(xml.read_text().replace("p.jpg", "p.png"))
    write_split(tmp_path, "train", ["p"])
    assert read_voc(tmp_path, "train", classes=["cat"]).records[0].image.name == "p.png"


@pytest.mark.parametrize("entry", ["../../other/Annotations/img001", "sub/img001", "..", "/etc/passwd"])
def test_a_split_entry_that_is_a_path_is_refused(tmp_path, entry):
    other = tmp_path / "other"
    write_voc_item(other, "img001", CAT)
    root = tmp_path / "set"
    write_voc_item(root, "a", CAT)
    write_split(root, "train", ["a", entry])
    with pytest.raises(DatasetError, match=r"train.txt: line 2: .* is not an image id"):
        read_voc(root, "train", classes=["cat"])


def test_an_id_listed_twice_in_a_split_is_refused(tmp_path):
    write_voc_item(tmp_path, "a", CAT)
    write_split(tmp_path, "train", ["a"] * 5)
    with pytest.raises(DatasetError, match=r"train.txt: id 'a' is listed twice \(lines 1 and 2\)"):
        read_voc(tmp_path, "val", classes=["cat"])


def test_an_id_in_two_splits_is_refused(tmp_path):
    for name in "abc":
        write_voc_item(tmp_path, name, CAT)
    write_split(tmp_path, "train", ["a", "b"])
    write_split(tmp_path, "val", ["c"])
    write_split(tmp_path, "test", ["b"])
    with pytest.raises(DatasetError, match=r"1 id\(s\) in both train.txt and test.txt, e.g. \['b'\]"):
        read_voc(tmp_path, "train", classes=["cat"])


def test_carving_that_would_leave_a_split_empty_says_how_many_images_it_needs(tmp_path):
    for i in range(4):
        write_voc_item(tmp_path, f"i{i}", CAT)
    for split in ("val", "test"):
        with pytest.raises(DatasetError, match=rf"carving val 10%, test 10% of 4 image\(s\) leaves {split} empty; "
                                               r"that needs 6 images at least"):
            read_voc(tmp_path, split, classes=["cat"])
    for i in range(4, 6):
        write_voc_item(tmp_path, f"i{i}", CAT)
    assert [len(read_voc(tmp_path, s, classes=["cat"])) for s in ("train", "val", "test")] == [4, 1, 1]


def test_a_class_named_twice_is_refused(tmp_path):
    write_voc_item(tmp_path, "a", CAT)
    write_split(tmp_path, "train", ["a"])
    with pytest.raises(DatasetError, match=r"classes: class name\(s\) \['cat'\] listed more than once"):
        read_voc(tmp_path, "train", classes=["cat", "dog", "cat"])
    (tmp_path / "classes.txt").write_text("cat\ndog\ncat\n")
    with pytest.raises(DatasetError, match=r"classes.txt: class name\(s\) \['cat'\]"):
        read_voc(tmp_path, "train")


def test_an_exdark_image_listed_twice_is_refused(tmp_path):
    box = ["Car 1 1 10 10 0 0 0 0 0 0 0"]
    write_exdark(tmp_path, [("Car", "2015_00001.jpg", 1, box), ("Car", "2015_00002.jpg", 3, box)])
    listing = next(tmp_path.rglob("imageclasslist.txt"))
    lines = listing.read_text().splitlines()
    listing.write_text("\n".join([*lines, lines[1].replace(" 1\n", " 3").rsplit(" ", 1)[0] + " 3"]) + "\n")
    with pytest.raises(DatasetError, match=r"image '2015_00001.jpg' is listed twice \(lines 2 and 4\)"):
        read_exdark(tmp_path, "train")
