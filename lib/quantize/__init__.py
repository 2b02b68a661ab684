"""Quantization: post-training static int8 by PT2E (``int8``, a module that gives the same raw
head maps, evaluated and measured as any other model) and the storage ledger (``ledger``:
one model's file in float32, float16 and int8, dense and sparse), and the study's int8
runs (``run``: a trained model file quantized and scored)."""
from .int8 import CompilerMissing, Int8Detector, compiled_int8_convs, int8, int8_convs
from .ledger import LEDGER, load_encoded, save_encoded, storage_ledger
from .run import Int8Params, load_int8, run_int8

__all__ = ["CompilerMissing", "Int8Detector", "Int8Params", "LEDGER", "compiled_int8_convs", "int8", "int8_convs",
           "load_encoded", "load_int8", "run_int8",
           "save_encoded", "storage_ledger"]
