"""The study's model file: a plain dict with the architecture and the float32
weights (state_dict, BatchNorm buffers included), self-describing so that
``load_weights`` rebuilds the right detector, masks included (torch's
``weight_orig`` / ``weight_mask`` convention) for a pruned one."""
from __future__ import annotations

import contextlib
import io
import os
import zipfile
import zlib
from typing import BinaryIO, Callable

import torch
from torch.nn.utils import prune

from ..errors import StudyError
from .head import Detector
from .zoo import build


def weights_blob(model: Detector) -> dict:
    """The model file's content: {"arch": build() arguments, "state_dict": weights}."""
    return {"arch": dict(model.arch), "state_dict": model.state_dict()}


def to_bytes(obj) -> bytes:
    """``torch.save``'s bytes of ``obj``, the same whatever file they end up in (torch
    names its zip records after the file it writes, so saving to paths of other names
    gives files of other sizes)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def written_size(write: Callable[[BinaryIO], None]) -> int:
    """Bytes that ``write`` puts into a file (written to memory, so whatever the file's name)."""
    buffer = io.BytesIO()
    write(buffer)
    return buffer.getbuffer().nbytes


def write_bytes(data: bytes, file: str | os.PathLike | BinaryIO) -> None:
    if isinstance(file, (str, os.PathLike)):
        with open(file, "wb") as f:
            f.write(data)
    else:
        file.write(data)


def save_weights(model: Detector, file: str | os.PathLike | BinaryIO) -> None:
    write_bytes(to_bytes(weights_blob(model)), file)


class ModelFileError(StudyError, ValueError):
    """A model or checkpoint file cannot be used; the message names the file, what is
    wrong with it and what to do."""


def read_file(file: str | os.PathLike | BinaryIO, what: str, remedy: str, map_location="cpu"):
    """A file written by ``torch.save``, loaded safely (``weights_only``: tensors and
    plain containers only, nothing executed). ``what`` names the file's role in the
    error, ``remedy`` says what to do about it."""
    if isinstance(file, (str, os.PathLike)) and not os.path.isfile(file):
        raise ModelFileError(f"{file}: no {what} there; {remedy}")
    damaged = damaged_record(file)
    if damaged is not None:
        raise ModelFileError(f"{file}: not a readable {what} (its record {damaged!r} does not match the checksum "
                             f"stored with it: the file was damaged after it was written); {remedy}")
    try:
        return torch.load(file, map_location=map_location, weights_only=True)
    except Exception as error:  # truncated zip, random bytes, or objects that are not plain data
        raise ModelFileError(f"{file}: not a readable {what} ({load_failure(error)}); {remedy}") from None


def damaged_record(file: str | os.PathLike | BinaryIO) -> str | None:
    """The first record of a ``torch.save`` archive whose bytes do not match the CRC-32 the
    archive stores with it, or None. torch.load does not check these checksums, so without
    this a flipped byte loads as a changed weight. Reading a 250 MB file this way takes a
    tenth of a second. A file that is not a zip archive is left to torch.load's own error."""
    start = None if isinstance(file, (str, os.PathLike)) else file.tell()
    try:
        with zipfile.ZipFile(file) as archive:
            return archive.testzip()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        if start is not None:
            file.seek(start)


def load_failure(error: Exception) -> str:
    """What a failed safe ``torch.load`` means, in words (torch's own message advises
    loading unsafely, which this study never does)."""
    text = str(error)
    if "PytorchStreamReader" in text or "zip archive" in text:
        return "a damaged or truncated archive"
    if "weights_only" in text or "Unpickl" in type(error).__name__:
        return "not a torch archive of tensors and plain data: damaged, or written by another program"
    return (text.strip().splitlines() or [type(error).__name__])[0][:160]


def read_model_file(file: str | os.PathLike | BinaryIO, map_location="cpu") -> dict:
    """A model file's contents, checked to be one: {"arch": dict, "state_dict": tensors};
    its architecture without building the model (``load_weights`` builds it)."""
    remedy = "give the best.pt (or other model file) of a finished run"
    blob = read_file(file, "model file", remedy, map_location)
    if not isinstance(blob, dict) or "arch" not in blob or "state_dict" not in blob:
        raise ModelFileError(f"{file}: not a model file of this study (expected keys 'arch' and 'state_dict'); "
                             f"{remedy}")
    return blob


def load_weights(file: str | os.PathLike | BinaryIO, map_location="cpu") -> Detector:
    blob = read_model_file(file, map_location)
    return from_state(blob["arch"], blob["state_dict"], file)


def expected_shapes(arch: dict, source: object) -> dict[str, torch.Size]:
    """The state dict's shapes that ``arch`` builds, found on the meta device: nothing
    is allocated, however large the architecture a damaged or edited file names."""
    if not isinstance(arch, dict):
        raise ModelFileError(f"{source}: its architecture is {type(arch).__name__}, not the dict build() takes")
    try:
        with torch.device("meta"):
            return {key: value.shape for key, value in build(**arch).state_dict().items()}
    except (RuntimeError, TypeError, ValueError, KeyError, AttributeError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:160]
        raise ModelFileError(f"{source}: the architecture it names ({arch.get('name')!r}, width {arch.get('width')}) "
                             f"cannot be built ({first}); the file is damaged or was edited by hand") from None


def check_fits(arch: dict, state_dict: dict, source: object) -> None:
    """Every stored tensor has the shape ``arch`` expects, and none is missing (a pruned
    model's ``weight_orig`` and ``weight_mask`` stand for its ``weight``), before any
    module is allocated."""
    expected = expected_shapes(arch, source)
    if not isinstance(state_dict, dict):
        raise ModelFileError(f"{source}: its weights are {type(state_dict).__name__}, not a state dict")
    covered = set()
    for key, value in state_dict.items():
        base = key.removesuffix("_orig").removesuffix("_mask") if key.endswith(("weight_orig", "weight_mask")) else key
        if not isinstance(value, torch.Tensor) or base not in expected or value.shape != expected[base]:
            got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            want = tuple(expected[base]) if base in expected else "no such tensor"
            raise ModelFileError(f"{source}: its weights do not fit the architecture it names ({arch.get('name')!r}, "
                                 f"width {arch.get('width')}): {key} is {got}, expected {want}; the file is damaged "
                                 "or was edited by hand")
        covered.add(base)
    missing = sorted(set(expected) - covered)
    if missing:
        raise ModelFileError(f"{source}: {len(missing)} tensor(s) missing, e.g. {missing[:3]}; the file is damaged "
                             "or was edited by hand")


def stored_shape(entry) -> tuple[int, ...] | None:
    """The shape an encoded entry of a file says it holds, or None if it says nothing usable."""
    shape = entry.get("shape") if isinstance(entry, dict) else None
    if isinstance(shape, (tuple, list)) and all(isinstance(n, int) and not isinstance(n, bool) for n in shape):
        return tuple(shape)
    return None


def misfit(source: object, what: str, shape, want) -> ModelFileError:
    """The error for an encoded entry whose claimed ``shape`` is not the architecture's ``want``."""
    expected = tuple(want) if want is not None else "no such tensor"
    return ModelFileError(f"{source}: {what} (shape {shape}) does not fit the architecture it names (expected "
                          f"{expected}); the file is damaged or was edited by hand")


@contextlib.contextmanager
def decoding(source: object, what: str):
    """Any failure decoding ``what`` of the file ``source`` (a field of the wrong kind, a
    stream that does not inflate to its size) as one ModelFileError naming both."""
    try:
        yield
    except (ValueError, IndexError, KeyError, TypeError, AttributeError, zlib.error) as error:
        raise ModelFileError(f"{source}: {what} does not decode ({error}); the file is damaged or was edited by "
                             "hand") from None


def from_state(arch: dict, state_dict: dict, source: object = "state") -> Detector:
    """Build ``arch`` and load ``state_dict`` into it, attaching its masks first if it has
    any; weights that do not fit the architecture are an error naming ``source``, found
    before the model is allocated (``check_fits``)."""
    check_fits(arch, state_dict, source)
    try:
        model = build(**arch)
        for key, mask in state_dict.items():
            if key.endswith(".weight_mask"):
                prune.custom_from_mask(model.get_submodule(key.removesuffix(".weight_mask")), "weight", mask)
        model.load_state_dict(state_dict)
    except (RuntimeError, TypeError, ValueError, AttributeError) as error:
        first = str(error).strip().splitlines()[0][:160]
        raise ModelFileError(f"{source}: its weights do not fit the architecture it names ({arch.get('name')!r}, "
                             f"width {arch.get('width')}): {first}; the file is damaged or was edited by hand") from None
    return model


def fresh(arch: dict, zero_init_residual: bool, seed: int) -> Detector:
    """A newly initialised detector of ``arch`` (a slim model's channels included): the
    literature's controls that keep an architecture or a mask and draw new weights.
    Drawn under ``seed`` without touching the process's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build(**arch, zero_init_residual=zero_init_residual)


def copy_of(model: Detector) -> Detector:
    """An independent copy in eval mode, rebuilt from its arch and state (a masked
    model's computed weight is not a leaf tensor, which deepcopy refuses)."""
    return from_state(model.arch, model.state_dict()).to(next(model.parameters()).device).eval()
