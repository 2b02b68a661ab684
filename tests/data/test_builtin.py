import hashlib
import shutil

import numpy as np
import pytest

from lib.data import BuiltinSpec, DatasetError, builtin_dataset, open_split, read_voc
from lib.data import synthetic
from lib.data.synthetic import render_scene

SMALL = dict(img_size=96, n_train=6, n_val=2, n_test=2)


def digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("variant", ["light", "dark"])
def test_same_seed_same_files(tmp_path, variant):
    spec = BuiltinSpec(variant=variant, **SMALL)
    a, b = builtin_dataset(spec, tmp_path / "a"), builtin_dataset(spec, tmp_path / "b")
    assert len(digest(a)) == 10 * 2 + 3 + 2  # jpg+xml per image, 3 split lists, classes.txt, spec.json
    assert digest(a) == digest(b)
    other = builtin_dataset(BuiltinSpec(variant=variant, seed=1, **SMALL), tmp_path / "a")
    assert other != a and digest(other) != digest(a)


def test_boxes_are_tight_on_each_objects_visible_pixels():
    spec = BuiltinSpec(img_size=128)
    n_objects = n_difficult = 0
    for index in range(30):
        image, objects = render_scene(spec, index)
        assert image.size == (128, 128)
        claimed = np.zeros((128, 128), bool)
        for obj in objects:
            ys, xs = np.nonzero(obj.visible)
            x1, y1, x2, y2 = obj.box
            assert xs.min() == x1 and xs.max() + 1 == x2 and ys.min() == y1 and ys.max() + 1 == y2
            assert not (claimed & obj.visible).any()  # a pixel shows one object at most
            claimed |= obj.visible
            n_objects, n_difficult = n_objects + 1, n_difficult + obj.difficult
    assert n_objects > 60 and 0 < n_difficult < n_objects / 4


def test_written_annotations_match_the_rendered_scene(tmp_path):
    spec = BuiltinSpec(variant="dark", **SMALL)
    index = read_voc(builtin_dataset(spec, tmp_path), "val")
    assert index.classes == spec.classes
    for record in index.records:
        _, objects = render_scene(spec, int(record.image.stem))
        np.testing.assert_array_equal(record.boxes, [o.box for o in objects])
        assert record.labels.tolist() == [o.label for o in objects]
        assert record.difficult.tolist() == [o.difficult for o in objects]


def test_dark_variant_is_darker_and_noisier():
    light = np.stack([np.asarray(render_scene(BuiltinSpec(), i)[0], float) for i in range(8)])
    dark = np.stack([np.asarray(render_scene(BuiltinSpec(variant="dark"), i)[0], float) for i in range(8)])
    assert dark.mean() < 0.5 * light.mean()


def test_open_split_generates_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDY_CACHE", str(tmp_path))
    index = open_split("builtin-dark", "test", builtin=SMALL)
    assert len(index) == 2 and index.name == "builtin-dark"
    assert len(list(tmp_path.glob("builtin-dark-*"))) == 1 and not list(tmp_path.glob("*.partial-*"))


def test_a_folder_another_process_finished_first_is_kept(tmp_path, monkeypatch):
    """Two runs generating the same dataset at once: the loser must not swap the
    winner's folder out from under a reader."""
    spec = BuiltinSpec(**SMALL)
    winner = builtin_dataset(spec, tmp_path / "winner")
    folder = tmp_path / "cache" / winner.name
    real_write = synthetic.write_dataset

    def write_while_another_finishes(spec, staging):
        real_write(spec, staging)
        shutil.copytree(winner, folder)  # the other process's os.replace lands now
        (folder / "marker").touch()

    monkeypatch.setattr(synthetic, "write_dataset", write_while_another_finishes)
    assert builtin_dataset(spec, tmp_path / "cache") == folder
    assert (folder / "marker").exists() and not list(folder.parent.glob("*.partial-*"))


def test_a_foreign_folder_in_the_way_is_named(tmp_path):
    spec = BuiltinSpec(**SMALL)
    name = builtin_dataset(spec, tmp_path / "a").name
    (tmp_path / "b" / name).mkdir(parents=True)
    (tmp_path / "b" / name / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match=name):
        builtin_dataset(spec, tmp_path / "b")
    assert (tmp_path / "b" / name / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("kwargs,field", [({"variant": "dusk"}, "variant"), ({"classes": ("circle", "blob")}, "classes"),
                                          ({"n_val": 0}, "n_train"), ({"min_object_size": 0.5, "max_object_size": 0.2}, "min_object_size"),
                                          ({"max_objects": 0}, "max_objects")])
def test_bad_spec_is_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        BuiltinSpec(**kwargs)
