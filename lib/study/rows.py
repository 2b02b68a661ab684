"""The study's rows, defined once: every other part of the study (the grid of runs,
the chapters, the results tables, figures and footprints) reads this table by a
row's id, and the paper's numbers (``lib/paper_tables.csv``) carry the same id.

Rows are built by keyword: a row names its method (``lib.methods``) and, for each input
the method reads, the row whose result it is. Adding a row of an existing method is
one entry here; adding a method is one method module, one chapter template and its
rows.
"""
from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field

from ..methods import get_method
from ..params import ParamError

PAPER_DATASETS = ("voc", "exdark")
# The paper's dataset each of ours stands in for (for the side-by-side percentages).
PAPER_DATASET = {"builtin": "voc", "builtin-dark": "exdark", "voc": "voc", "exdark": "exdark"}


@dataclass(frozen=True)
class Row:
    id: str                 # names the row everywhere: notebook parameter, result JSON, paper table
    model: str              # the paper's model label
    training: str           # the paper's training label
    _: KW_ONLY              # the rest by name
    arch: str               # the lib.models name
    method: str             # the registry key of the method that trains it (lib.methods)
    activation: str | None = None                  # None: the model's own; "leaky" for the distillation students
    settings: dict = field(default_factory=dict)   # the method's settings (its params dataclass fields)
    inputs: dict[str, str] = field(default_factory=dict)  # the method's input name -> the row whose result it is
    datasets: tuple[str, ...] = PAPER_DATASETS     # the paper datasets (or their stand-ins) it runs on
    in_paper: bool = True                          # False: a row the study adds
    params: dict = field(default_factory=dict)     # run parameters it fixes (dotted RunParams fields)
    footprint: str = "dense"  # without training: "dense" (as built), "magnitude" (pruned at its
                              # settings on a random init) or "trained" (known only after training)
    control_of: str | None = None  # the row whose method this one is the literature's control of

    def __post_init__(self):
        method = get_method(self.method)
        unknown = set(self.inputs) - set(method.inputs)
        missing = set(method.required) - set(self.inputs)
        if unknown or missing:
            raise ValueError(f"row {self.id}: method {self.method} reads inputs {list(method.inputs)} (required "
                             f"{list(method.required)}); the row names {sorted(self.inputs)}")

    @property
    def chapter(self) -> str:
        """The notebook template that runs it: its method's."""
        return get_method(self.method).template

    @property
    def family(self) -> str:
        return get_method(self.method).family


DENSE = "yolov3"        # the reference row: the teacher, LTH's round 0, 100% in the relative tables
DENSE_EQUAL = "yolov3-equal-budget"  # the reference of the rows trained twice as long (lib.report.references)
REFERENCES = (DENSE, DENSE_EQUAL)    # the dense YOLOv3 at each budget a row is compared at
NANO_PLAIN, MOBILE_PLAIN = "nano-leaky", "mobile-leaky"  # the students without distillation
NANO, MOBILE = "YOLO Nano (leaky)", "YOLOv3-Mobile (leaky)"
FROM_DENSE = {"dense": DENSE}
NANO_KD, MOBILE_KD = {"teacher": DENSE, "plain": NANO_PLAIN}, {"teacher": DENSE, "plain": MOBILE_PLAIN}

ROWS: tuple[Row, ...] = (
    Row("yolov3-tiny", "YOLOv3-Tiny", "Default", arch="yolov3-tiny", method="train"),
    Row(DENSE, "YOLOv3", "Default", arch="yolov3", method="train"),
    # The dense reference at the budget of the pruned rows that start from the dense run (a
    # ticket: the dense run, then its retraining): compared with it, a pruned row's accuracy
    # is its compression's, not the extra epochs' (Blalock et al.).
    Row(DENSE_EQUAL, "YOLOv3", "Default, equal budget", arch="yolov3", method="train",
        settings={"epoch_multiple": 2}, in_paper=False),
    Row("yolo-nano", "YOLO Nano", "Default", arch="yolo-nano", method="train"),
    Row("yolov3-mobile", "YOLOv3-Mobile", "Default", arch="yolov3-mobile", method="train"),
    # The paper's failed row, reproduced: the authors' initialisation, every residual branch
    # at full scale (the CPU profiles start them at 0; the paper profile already does not).
    Row("yolov3-mobile-authors-init", "YOLOv3-Mobile", "Default, authors' init", arch="yolov3-mobile",
        method="train", datasets=("voc",), in_paper=False, params={"model.zero_init_residual": False}),
    Row("yolov3-lth-local", "YOLOv3", "LTH Local", arch="yolov3", method="lth", settings={"scope": "layer"},
        inputs=FROM_DENSE, footprint="magnitude"),
    Row("yolov3-lth-global", "YOLOv3", "LTH Global", arch="yolov3", method="lth", settings={"scope": "global"},
        inputs=FROM_DENSE, footprint="magnitude"),
    # The control of the tickets (Frankle & Carbin; Blalock et al.): a random mask with LTH
    # Local's count in every layer, retrained as the ticket is.
    Row("yolov3-random-prune", "YOLOv3", "LTH Local, random pruning", arch="yolov3", method="random-prune",
        inputs=FROM_DENSE, in_paper=False, footprint="trained", control_of="yolov3-lth-local"),
    # The other control of the tickets (Frankle & Carbin): LTH Local's mask, the survivors
    # from new random weights instead of the dense run's epoch k, retrained as the ticket is.
    Row("yolov3-lth-local-reinit", "YOLOv3", "LTH Local, random re-init", arch="yolov3", method="lth",
        settings={"scope": "layer", "reinit": True}, inputs=FROM_DENSE, in_paper=False, footprint="magnitude",
        control_of="yolov3-lth-local"),
    Row("yolov3-cs-1", "YOLOv3", "CS 1 It", arch="yolov3", method="cs", settings={"rounds": 1}, footprint="trained"),
    Row("yolov3-cs-3", "YOLOv3", "CS 3 It", arch="yolov3", method="cs", settings={"rounds": 3}, footprint="trained"),
    # Beyond the paper: pruning that makes the model faster. Channel pruning of the trained
    # dense YOLOv3 at about the MACs of the paper's LTH Local (~11%) and CS 1 It (~3.5%)
    # rows, then fine-tuning; pruning during training (Yin et al.) at LTH's 90%.
    Row("yolov3-channels-11", "YOLOv3", "Channels, 11% MACs", arch="yolov3", method="channels",
        settings={"macs_ratio": 0.11}, inputs=FROM_DENSE, in_paper=False, footprint="trained"),
    Row("yolov3-channels-3.5", "YOLOv3", "Channels, 3.5% MACs", arch="yolov3", method="channels",
        settings={"macs_ratio": 0.035}, inputs=FROM_DENSE, in_paper=False, footprint="trained"),
    # Their control (Liu et al. 2019, Scratch-B): each slim architecture from new weights,
    # trained as many epochs as the dense run and the fine-tuning together.
    Row("yolov3-channels-11-scratch", "YOLOv3", "Channels, 11% MACs, from scratch", arch="yolov3",
        method="channels", settings={"macs_ratio": 0.11, "from_scratch": True}, inputs=FROM_DENSE, in_paper=False,
        footprint="trained", control_of="yolov3-channels-11"),
    Row("yolov3-channels-3.5-scratch", "YOLOv3", "Channels, 3.5% MACs, from scratch", arch="yolov3",
        method="channels", settings={"macs_ratio": 0.035, "from_scratch": True}, inputs=FROM_DENSE, in_paper=False,
        footprint="trained", control_of="yolov3-channels-3.5"),
    Row("yolov3-gradual-weights", "YOLOv3", "During training, weights 90%", arch="yolov3", method="gradual",
        settings={"structure": "weights"}, in_paper=False, footprint="trained"),
    Row("yolov3-gradual-filters", "YOLOv3", "During training, filters 90%", arch="yolov3", method="gradual",
        settings={"structure": "filters"}, in_paper=False, footprint="trained"),
    # Beyond the paper: the survey's other families. Post-training int8 of the trained dense
    # YOLOv3 and of the LTH Local ticket (its sparse file's alive values in int8); Tucker-2 of
    # YOLOv3's 3x3 convs at a quarter of each side's channels, then fine-tuned.
    Row("yolov3-int8", "YOLOv3", "int8, post-training", arch="yolov3", method="int8", inputs={"source": DENSE},
        in_paper=False, footprint="trained"),
    Row("yolov3-lth-local-int8", "YOLOv3", "LTH Local + int8", arch="yolov3", method="int8",
        inputs={"source": "yolov3-lth-local"}, in_paper=False, footprint="trained"),
    Row("yolov3-tucker2", "YOLOv3", "Tucker-2, ranks 1/4, fine-tuned", arch="yolov3", method="tucker2",
        settings={"rank_ratio": 0.25, "finetune_epochs": 5}, inputs=FROM_DENSE, in_paper=False, footprint="trained"),
    Row("nano-kd-79", NANO, "KD fts 79", arch="yolo-nano", method="kd-hints", activation="leaky",
        settings={"hints": [79]}, inputs=NANO_KD),
    Row("nano-kd-36-61", NANO, "KD fts 36, 61", arch="yolo-nano", method="kd-hints", activation="leaky",
        settings={"hints": [36, 61]}, inputs=NANO_KD, datasets=("voc",)),
    Row("nano-kd-61-91", NANO, "KD fts 61, 91", arch="yolo-nano", method="kd-hints", activation="leaky",
        settings={"hints": [61, 91]}, inputs=NANO_KD, datasets=("exdark",)),
    Row("mobile-kd-91", MOBILE, "KD fts 91", arch="yolov3-mobile", method="kd-hints", activation="leaky",
        settings={"hints": [91]}, inputs=MOBILE_KD),
    Row("mobile-kd-36-91", MOBILE, "KD fts 36, 91", arch="yolov3-mobile", method="kd-hints", activation="leaky",
        settings={"hints": [36, 91]}, inputs=MOBILE_KD),
    Row("nano-kd-gan", NANO, "KD GAN", arch="yolo-nano", method="kd-gan", activation="leaky", inputs=NANO_KD),
    Row("mobile-kd-gan", MOBILE, "KD GAN", arch="yolov3-mobile", method="kd-gan", activation="leaky",
        inputs=MOBILE_KD),
    # The paper's weight on the detection loss (0.05) in the adversarial phase, which the
    # Adam profiles replace by 1.0 (lib.profiles: ADAM_GAN): what it does when, unlike in
    # the authors' code, the adversarial gradient reaches the student.
    Row("nano-kd-gan-paper-weight", NANO, "KD GAN, detection x0.05", arch="yolo-nano", method="kd-gan",
        activation="leaky", settings={"detection_weight": 0.05}, inputs=NANO_KD, datasets=("voc",), in_paper=False),
    Row(NANO_PLAIN, NANO, "Default", arch="yolo-nano", method="train", activation="leaky", in_paper=False),
    Row(MOBILE_PLAIN, MOBILE, "Default", arch="yolov3-mobile", method="train", activation="leaky", in_paper=False),
)
ROW = {row.id: row for row in ROWS}
ORDER = {row.id: i for i, row in enumerate(ROWS)}


def get_row(row_id: str) -> Row:
    if row_id not in ROW:
        raise ParamError(f"row: unknown row {row_id!r}; expected one of {list(ROW)}")
    return ROW[row_id]


def rows_of(dataset: str) -> list[Row]:
    """The rows run on ``dataset`` (one of ours or the paper's), in the table's order."""
    if dataset not in PAPER_DATASET:
        raise ParamError(f"dataset: unknown {dataset!r}; expected one of {sorted(PAPER_DATASET)}")
    return [row for row in ROWS if PAPER_DATASET[dataset] in row.datasets]
