"""The study's rows, defined once: every other part of the study (the grid of runs,
the chapters, the results tables, figures and footprints) reads this table by a
row's id, and the paper's numbers (``lib/paper_tables.csv``) carry the same id.

Adding a row of an existing method is one entry here; adding a method is one
method module, one chapter template and its rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PAPER_DATASETS = ("voc", "exdark")
# The paper's dataset each of ours stands in for (for the side-by-side percentages).
PAPER_DATASET = {"builtin": "voc", "builtin-dark": "exdark", "voc": "voc", "exdark": "exdark"}


@dataclass(frozen=True)
class Row:
    id: str                 # names the row everywhere: notebook parameter, result JSON, paper table
    model: str              # the paper's model label
    training: str           # the paper's training label
    arch: str               # the lib.models name
    activation: str | None  # None: the model's own; "leaky" for the distillation students
    chapter: str            # the notebook template that trains it
    settings: dict = field(default_factory=dict)  # the method's settings (its params dataclass fields)
    inputs: tuple[str, ...] = ()                   # rows whose results it reads, in order
    datasets: tuple[str, ...] = PAPER_DATASETS     # the paper datasets (or their stand-ins) it runs on
    in_paper: bool = True                          # False: a row the study adds
    params: dict = field(default_factory=dict)     # run parameters it fixes (dotted RunParams fields)
    footprint: str = "dense"  # without training: "dense" (as built), "magnitude" (pruned at its
                              # settings on a random init) or "trained" (known only after training)


DENSE = "yolov3"        # the reference row: the teacher, LTH's round 0, 100% in the relative tables
NANO_PLAIN, MOBILE_PLAIN = "nano-leaky", "mobile-leaky"  # the students without distillation
NANO, MOBILE = "YOLO Nano (leaky)", "YOLOv3-Mobile (leaky)"

ROWS: tuple[Row, ...] = (
    Row("yolov3-tiny", "YOLOv3-Tiny", "Default", "yolov3-tiny", None, "01_baseline"),
    Row(DENSE, "YOLOv3", "Default", "yolov3", None, "01_baseline"),
    Row("yolo-nano", "YOLO Nano", "Default", "yolo-nano", None, "01_baseline"),
    Row("yolov3-mobile", "YOLOv3-Mobile", "Default", "yolov3-mobile", None, "01_baseline"),
    # The paper's failed row, reproduced: the authors' initialisation, every residual branch
    # at full scale (the CPU profiles start them at 0; the paper profile already does not).
    Row("yolov3-mobile-authors-init", "YOLOv3-Mobile", "Default, authors' init", "yolov3-mobile", None,
        "01_baseline", datasets=("voc",), in_paper=False, params={"model.zero_init_residual": False}),
    Row("yolov3-lth-local", "YOLOv3", "LTH Local", "yolov3", None, "02_lth", {"scope": "layer"}, (DENSE,),
        footprint="magnitude"),
    Row("yolov3-lth-global", "YOLOv3", "LTH Global", "yolov3", None, "02_lth", {"scope": "global"}, (DENSE,),
        footprint="magnitude"),
    Row("yolov3-cs-1", "YOLOv3", "CS 1 It", "yolov3", None, "03_cs", {"rounds": 1}, footprint="trained"),
    Row("yolov3-cs-3", "YOLOv3", "CS 3 It", "yolov3", None, "03_cs", {"rounds": 3}, footprint="trained"),
    # Beyond the paper: pruning that makes the model faster. Channel pruning of the trained
    # dense YOLOv3 at about the MACs of the paper's LTH Local (~11%) and CS 1 It (~3.5%)
    # rows, then fine-tuning; pruning during training (Yin et al.) at LTH's 90%.
    Row("yolov3-channels-11", "YOLOv3", "Channels, 11% MACs", "yolov3", None, "07_channels", {"macs_ratio": 0.11},
        (DENSE,), in_paper=False, footprint="trained"),
    Row("yolov3-channels-3.5", "YOLOv3", "Channels, 3.5% MACs", "yolov3", None, "07_channels",
        {"macs_ratio": 0.035}, (DENSE,), in_paper=False, footprint="trained"),
    Row("yolov3-gradual-weights", "YOLOv3", "During training, weights 90%", "yolov3", None, "08_gradual",
        {"structure": "weights"}, in_paper=False, footprint="trained"),
    Row("yolov3-gradual-filters", "YOLOv3", "During training, filters 90%", "yolov3", None, "08_gradual",
        {"structure": "filters"}, in_paper=False, footprint="trained"),
    # Beyond the paper: the survey's other families. Post-training int8 of the trained dense
    # YOLOv3 and of the LTH Local ticket (its sparse file's alive values in int8); Tucker-2 of
    # YOLOv3's 3x3 convs at a quarter of each side's channels, then fine-tuned.
    Row("yolov3-int8", "YOLOv3", "int8, post-training", "yolov3", None, "09_quantize", {}, (DENSE,), in_paper=False,
        footprint="trained"),
    Row("yolov3-lth-local-int8", "YOLOv3", "LTH Local + int8", "yolov3", None, "09_quantize", {},
        ("yolov3-lth-local",), in_paper=False, footprint="trained"),
    Row("yolov3-tucker2", "YOLOv3", "Tucker-2, ranks 1/4, fine-tuned", "yolov3", None, "10_lowrank",
        {"rank_ratio": 0.25, "finetune_epochs": 5}, (DENSE,), in_paper=False, footprint="trained"),
    Row("nano-kd-79", NANO, "KD fts 79", "yolo-nano", "leaky", "04_kd_hints", {"hints": [79]}, (DENSE, NANO_PLAIN)),
    Row("nano-kd-36-61", NANO, "KD fts 36, 61", "yolo-nano", "leaky", "04_kd_hints", {"hints": [36, 61]},
        (DENSE, NANO_PLAIN), datasets=("voc",)),
    Row("nano-kd-61-91", NANO, "KD fts 61, 91", "yolo-nano", "leaky", "04_kd_hints", {"hints": [61, 91]},
        (DENSE, NANO_PLAIN), datasets=("exdark",)),
    Row("mobile-kd-91", MOBILE, "KD fts 91", "yolov3-mobile", "leaky", "04_kd_hints", {"hints": [91]},
        (DENSE, MOBILE_PLAIN)),
    Row("mobile-kd-36-91", MOBILE, "KD fts 36, 91", "yolov3-mobile", "leaky", "04_kd_hints", {"hints": [36, 91]},
        (DENSE, MOBILE_PLAIN)),
    Row("nano-kd-gan", NANO, "KD GAN", "yolo-nano", "leaky", "05_kd_gan", {}, (DENSE, NANO_PLAIN)),
    Row("mobile-kd-gan", MOBILE, "KD GAN", "yolov3-mobile", "leaky", "05_kd_gan", {}, (DENSE, MOBILE_PLAIN)),
    # The paper's weight on the detection loss (0.05) in the adversarial phase, which the
    # Adam profiles replace by 1.0 (lib.profiles: ADAM_GAN): what it does when, unlike in
    # the authors' code, the adversarial gradient reaches the student.
    Row("nano-kd-gan-paper-weight", NANO, "KD GAN, detection x0.05", "yolo-nano", "leaky", "05_kd_gan",
        {"detection_weight": 0.05}, (DENSE, NANO_PLAIN), datasets=("voc",), in_paper=False),
    Row(NANO_PLAIN, NANO, "Default", "yolo-nano", "leaky", "01_baseline", in_paper=False),
    Row(MOBILE_PLAIN, MOBILE, "Default", "yolov3-mobile", "leaky", "01_baseline", in_paper=False),
)
ROW = {row.id: row for row in ROWS}
ORDER = {row.id: i for i, row in enumerate(ROWS)}
# The compression family of each chapter's rows (a row's family: FAMILY[ROW[row].chapter]),
# for the figures' colours. Pruning during training is its own family: it removes weights
# or whole filters.
FAMILY = {"01_baseline": "trained from scratch", "02_lth": "weight pruning", "03_cs": "weight pruning",
          "07_channels": "channel pruning", "08_gradual": "pruning during training", "04_kd_hints": "distillation",
          "05_kd_gan": "distillation", "09_quantize": "quantization", "10_lowrank": "low-rank"}


def get_row(row_id: str) -> Row:
    if row_id not in ROW:
        raise ValueError(f"row: unknown row {row_id!r}; expected one of {list(ROW)}")
    return ROW[row_id]


def rows_of(dataset: str) -> list[Row]:
    """The rows run on ``dataset`` (one of ours or the paper's), in the table's order."""
    if dataset not in PAPER_DATASET:
        raise ValueError(f"dataset: unknown {dataset!r}; expected one of {sorted(PAPER_DATASET)}")
    return [row for row in ROWS if PAPER_DATASET[dataset] in row.datasets]
