import math
from dataclasses import fields, replace
from typing import get_type_hints

import pytest

from lib.method import Method, Outcome
from lib.methods import METHODS, get_method
from lib.params import ParamError, check_settings
from lib.profiles import PROFILES
from lib.prune.lth import LTHParams
from lib.study import chapter as study_chapter
from lib.study.rows import ROWS, Row


def test_every_method_module_declares_one_method_with_a_params_class_page_and_template():
    assert {"train", "lth", "cs", "kd-hints", "kd-gan", "channels", "gradual", "int8", "tucker2"} <= set(METHODS)
    pages = {"training", "pruning", "distillation", "quantization"}
    for key, method in METHODS.items():
        assert method.key == key and method.page in pages and method.template[:2].isdigit()
        assert fields(method.settings)  # a dataclass of settings
        assert set(method.required) <= set(method.inputs)
    with pytest.raises(ValueError, match="method: unknown 'pruning'"):
        get_method("pruning")


def test_every_row_names_a_method_and_the_inputs_it_reads_by_name():
    for row in ROWS:
        method = get_method(row.method)
        assert set(row.inputs) <= set(method.inputs) and set(method.required) <= set(row.inputs), row.id
    with pytest.raises(ValueError, match=r"row x: method kd-hints reads inputs \['teacher', 'plain'\]"):
        Row("x", "YOLO Nano", "KD", arch="yolo-nano", method="kd-hints", inputs={"plain": "nano-leaky"})
    with pytest.raises(ValueError, match="required inputs"):
        Method(key="m", settings=object, family="f", page="p", template="99_m",
               run=lambda *a: Outcome({}, None), inputs=(), required=("dense",))


def numeric(hint) -> bool:
    """Whether a settings field's type holds numbers (int, float, their tuples, Optional)."""
    return any(t in str(hint) for t in ("int", "float"))


def test_every_numeric_setting_of_every_method_declares_its_range():
    for key, method in METHODS.items():
        hints = get_type_hints(method.settings)
        ranged = {f.name for f in fields(method.settings) if numeric(hints[f.name])}
        assert ranged == set(method.settings.RANGES), key  # a new number without a range fails here


@pytest.mark.parametrize("key", sorted(METHODS))
def test_every_setting_refuses_nan_inf_out_of_range_and_the_wrong_kind_before_any_work(key):
    settings = METHODS[key].settings
    check_settings(settings())  # the defaults pass
    for name, (low, high, kind) in settings.RANGES.items():
        default = getattr(settings(), name)
        bad = [math.nan, math.inf, low - 1, high + 1, "0.5"]
        for value in bad:
            value = tuple(value for _ in default) if isinstance(default, tuple) else value
            with pytest.raises(ParamError, match=rf"^{settings.__name__}\.{name}: expected "):
                check_settings(replace(settings(), **{name: value}))


def test_every_rows_settings_at_every_profile_pass_the_checks():
    for profile in PROFILES:
        for row in ROWS:
            study_chapter.method_params(get_method(row.method).settings, row.id, profile)
    with pytest.raises(ParamError, match=r"LTHParams\.target_sparsity: expected a finite number in \(0, 1\), got nan"):
        study_chapter.method_params(LTHParams, "yolov3-lth-global", "smoke", target_sparsity=math.nan)
