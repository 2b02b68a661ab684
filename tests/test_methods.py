from dataclasses import fields

import pytest

from lib.method import Method, Outcome
from lib.methods import METHODS, get_method
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
