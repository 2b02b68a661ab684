"""The study's runs for a profile: for every dataset and seed, the paper's 14 rows
(Tables I and II) plus the plain leaky students the distillation rows are compared
with, each a run of its chapter's notebook; then the results chapter, which reads
them all. Dependencies: LTH starts from the dense YOLOv3 run (its round 0), and
distillation reads that run's model as the teacher."""
from __future__ import annotations

from dataclasses import dataclass

from ..paper import PAPER_MODELS
from ..params import stable_hash
from ..profiles import PROFILES
from .runner import Run

# Per profile: the datasets (light, dark) the study runs on and the method
# settings that scale with the schedule.
STUDY_SETTINGS = {
    "smoke": {"datasets": ("builtin", "builtin-dark"), "rewind_epoch": 0},
    "cpu": {"datasets": ("builtin", "builtin-dark"), "rewind_epoch": 1},
    "cpu-long": {"datasets": ("builtin", "builtin-dark"), "rewind_epoch": 2},
    "paper": {"datasets": ("voc", "exdark"), "rewind_epoch": 10},
}
# The paper's dataset each of ours stands in for (for the side-by-side percentages).
PAPER_DATASET = {"builtin": "voc", "builtin-dark": "exdark", "voc": "voc", "exdark": "exdark"}
# The second hint setting of YOLO Nano differs between the paper's tables.
NANO_PAIR = {"voc": [36, 61], "exdark": [61, 91]}
DISTILLATION = ("04_kd_hints", "05_kd_gan")


@dataclass(frozen=True)
class Row:
    model: str          # the paper's model label
    training: str       # the paper's training label
    chapter: str
    settings: dict      # the chapter's method parameters
    in_paper: bool = True


def rows(paper_dataset: str, rewind_epoch: int) -> list[Row]:
    """The rows of one dataset, in the paper's order, then the leaky students without KD.
    The dense YOLOv3 saves the rewind snapshot the LTH rows start from."""
    nano, mobile, k = "YOLO Nano (leaky)", "YOLOv3-Mobile (leaky)", {"rewind_epoch": rewind_epoch}
    pair = NANO_PAIR[paper_dataset]
    return [
        Row("YOLOv3-Tiny", "Default", "01_baseline", {}),
        Row("YOLOv3", "Default", "01_baseline", k),
        Row("YOLO Nano", "Default", "01_baseline", {}),
        Row("YOLOv3-Mobile", "Default", "01_baseline", {}),
        Row("YOLOv3", "LTH Local", "02_lth", {"scope": "layer", **k}),
        Row("YOLOv3", "LTH Global", "02_lth", {"scope": "global", **k}),
        Row("YOLOv3", "CS 1 It", "03_cs", {"rounds": 1, **k}),
        Row("YOLOv3", "CS 3 It", "03_cs", {"rounds": 3, **k}),
        Row(nano, "KD fts 79", "04_kd_hints", {"hints": [79]}),
        Row(nano, f"KD fts {pair[0]}, {pair[1]}", "04_kd_hints", {"hints": pair}),
        Row(mobile, "KD fts 91", "04_kd_hints", {"hints": [91]}),
        Row(mobile, "KD fts 36, 91", "04_kd_hints", {"hints": [36, 91]}),
        Row(nano, "KD GAN", "05_kd_gan", {}),
        Row(mobile, "KD GAN", "05_kd_gan", {}),
        Row(nano, "Default", "01_baseline", {}, in_paper=False),
        Row(mobile, "Default", "01_baseline", {}, in_paper=False),
    ]


def study_runs(profile: str, datasets: dict[str, str | None] | None = None, seeds: int = 1,
               only: tuple[str, ...] = ()) -> list[Run]:
    """Every run of the study. ``datasets``: name -> data root (default: the profile's,
    built in); ``only``: keep the runs of these chapters (and what they need)."""
    if profile not in PROFILES:
        raise ValueError(f"profile: unknown profile {profile!r}; expected one of {sorted(PROFILES)}")
    if not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds: expected a positive integer, got {seeds!r}")
    settings = STUDY_SETTINGS[profile]
    datasets = datasets or dict.fromkeys(settings["datasets"])
    unknown = set(datasets) - set(PAPER_DATASET)
    if unknown:
        raise ValueError(f"dataset: unknown {sorted(unknown)}; expected some of {sorted(PAPER_DATASET)}")
    architectures = Run("00_architectures", {"img_size": 416}, (), "The detectors at the paper's scale")
    training = []
    profile_hash = stable_hash(PROFILES[profile])  # an edited profile re-runs what it trains
    for dataset, root in datasets.items():
        for seed in range(seeds):
            common = {"profile": profile, "dataset": dataset, "data_root": root, "seed": seed}
            training += dataset_runs(common, PAPER_DATASET[dataset], settings["rewind_epoch"], profile_hash)
    results = Run("06_results", {"profile": profile}, (architectures, *training), "Results")
    runs = [architectures, *training, results]
    if only:
        chapters = {r.chapter for r in runs}
        if set(only) - chapters:
            raise ValueError(f"only: unknown chapters {sorted(set(only) - chapters)}; expected some of {sorted(chapters)}")
        runs = [r for r in runs if r.chapter in only]
    return runs


def dataset_runs(common: dict, paper_dataset: str, rewind_epoch: int, profile_hash: str) -> list[Run]:
    """The runs of one dataset and seed. The dense YOLOv3 run is LTH's round 0 and the
    distillation teacher; a distilled student also reads its plain counterpart (same
    model, no KD) to show the two side by side."""
    def make(row: Row, depends: tuple[Run, ...] = ()) -> Run:
        name, activation = PAPER_MODELS[row.model]
        title = f"{row.model}, {row.training}: {common['dataset']}, seed {common['seed']}"
        return Run(row.chapter, {**common, "model": name, "activation": activation, **row.settings}, depends, title,
                   profile_hash)

    table = rows(paper_dataset, rewind_epoch)
    plain = {row.model: make(row) for row in table if row.chapter == "01_baseline"}
    dense = plain["YOLOv3"]
    runs = []
    for row in table:
        if row.chapter == "01_baseline":
            runs.append(plain[row.model])
        elif row.chapter in DISTILLATION:
            runs.append(make(row, (dense, plain[row.model])))
        else:
            runs.append(make(row, (dense,) if row.chapter == "02_lth" else ()))
    return runs
