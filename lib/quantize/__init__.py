"""Quantization: post-training static int8 (``int8``, a module that gives the same raw
head maps, evaluated and measured as any other model) and the storage ledger (``ledger``:
one model's file in float32, float16 and int8, dense and sparse), and the study's int8
runs (``run``: a trained model file quantized and scored)."""
from .int8 import Int8Detector, int8, quantized_ops
from .ledger import LEDGER, load_encoded, save_encoded, storage_ledger
from .run import Int8Params, load_int8, run_int8

__all__ = ["Int8Detector", "Int8Params", "LEDGER", "int8", "load_encoded", "load_int8", "quantized_ops", "run_int8",
           "save_encoded", "storage_ledger"]
