"""Quantization: post-training static int8 (``int8``, a module that gives the same raw
head maps, evaluated and measured as any other model) and the storage ledger (``ledger``:
one model's file in float32, float16 and int8, dense and sparse)."""
from .int8 import Int8Detector, int8, quantized_ops
from .ledger import LEDGER, load_encoded, save_encoded, storage_ledger

__all__ = ["Int8Detector", "LEDGER", "int8", "load_encoded", "quantized_ops", "save_encoded", "storage_ledger"]
