"""Property-based fuzzing of what a user or a file hands the study, beyond the dataset
readers (tests/data/test_fuzz.py): parameters set by name (--set, papermill) and model
files whose contents were edited. Each random input is either accepted or refused with
the project's own error (ParamError, ModelFileError), never another exception, and a
model file never makes the loader allocate more than a bound."""
import io
import resource
from dataclasses import fields, is_dataclass

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.models import ModelFileError, build, load_weights
from lib.models.io import weights_blob
from lib.params import ParamError, RunParams
from lib.prune import load_sparse, magnitude_prune, save_sparse
from lib.profiles import profile_params
from lib.quantize.ledger import load_encoded, save_encoded
from lib.train.__main__ import literal

# derandomized and without a database: the same examples on every run and in CI
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
# the most a loader may add to the process's peak memory for a file of a width-0.125 model
ALLOCATION_BOUND_MB = 400


def dotted_fields(obj=RunParams(), prefix=""):
    """Every settable field of the run parameters by dotted name (train.lr0, data.augment.hsv_h, ...)."""
    names = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        names += dotted_fields(value, f"{prefix}{f.name}.") if is_dataclass(value) else [f"{prefix}{f.name}"]
    return names


TEXTS = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e999", "-1", "0", "1", "0.5", "1e-12", "4294967296", "-0.0", "True",
                     "None", "[]", "[1, 2]", "(288, 640)", "'yolov3'", "''", "{}", "1j", "float('inf')"]),
    st.integers(-2**70, 2**70).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12))


@FUZZ
@given(name=st.sampled_from(dotted_fields()), text=TEXTS)
def test_a_parameter_set_by_name_is_accepted_or_refused_with_a_param_error(name, text):
    try:
        params = profile_params("smoke", **{name: literal(text)})
    except ParamError:
        return
    assert isinstance(params, RunParams)


def small_files():
    model = build("yolov3-tiny", 3, width=0.125)
    pruned = build("yolov3-tiny", 3, width=0.125)
    magnitude_prune(pruned, 0.5, "layer")
    dense, sparse, encoded = io.BytesIO(), io.BytesIO(), io.BytesIO()
    torch.save(weights_blob(model), dense)
    save_sparse(pruned, sparse)
    save_encoded(model, encoded, "int8")
    return {"model": (dense.getvalue(), load_weights), "sparse": (sparse.getvalue(), load_sparse),
            "int8": (encoded.getvalue(), load_encoded)}


FILES = small_files()
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(), st.text(max_size=6),
                   st.lists(st.integers(-5, 5000), max_size=4),
                   st.builds(lambda shape: torch.zeros(shape), st.lists(st.integers(0, 3), max_size=3)))


def edited(blob, path: list, value):
    """``blob`` with the entry at ``path`` (keys into nested dicts) replaced by ``value``
    (or deleted, for the value "<delete>")."""
    node = blob
    for key in path[:-1]:
        node = node[key]
    if value == "<delete>":
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return blob


def paths_into(blob, depth=3, prefix=()):
    """Every key path of the nested dicts of ``blob`` (down to ``depth``)."""
    out = []
    for key, value in blob.items():
        out.append([*prefix, key])
        if isinstance(value, dict) and depth > 1:
            out += paths_into(value, depth - 1, (*prefix, key))
    return out


@FUZZ
@given(kind=st.sampled_from(sorted(FILES)), pick=st.floats(0, 1, exclude_max=True),
       value=st.one_of(VALUES, st.just("<delete>")))
def test_an_edited_model_file_loads_or_is_refused_within_a_memory_bound(kind, pick, value):
    data, load = FILES[kind]
    blob = torch.load(io.BytesIO(data), weights_only=True)
    candidates = paths_into(blob)
    target = candidates[int(pick * len(candidates))]
    buffer = io.BytesIO()
    torch.save(edited(blob, target, value), buffer)
    buffer.seek(0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        load(buffer)
    except ModelFileError:
        pass
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < ALLOCATION_BOUND_MB, (target, value)
