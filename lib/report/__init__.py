"""The report: what the book shows of the study's runs, read only through their typed
results (``lib.result.RunResult``): each run's card (``cards``), the results tables
(``results``), which runs each shows (``selection``), whether a run had stopped
improving (``convergence``), the landing and chapter pages' values (``abstract``), the figures
(``figures``, ``detections_figure``, ``figure_axes``), the chapters' explanatory figures (``explainers``),
the one-shot pruning curves of the trained dense models (``oneshot``), which dense
reference a row is measured against (``references``), the rule for calling a
difference a finding (``verdict``),
the footprints at the paper's scale (``footprints``), and what is computed from the
trained models themselves: detections, mAP under other rules, latency in PyTorch and
onnxruntime (``inference``), and both runtimes side by side (``deployment``).
The notebooks reach these names through ``lib.chapter``."""
from .abstract import landing_values
from .cards import run_card, styled
from .detections_figure import detection_grid
from .figures import cs_search, gradual_schedule, layer_sparsity, map_vs_cost, oneshot_figure, training_curves
from .deployment import deployment_answers, deployment_table
from .footprints import architecture_findings, paper_scale_table
from .inference import map_under_rules, rules_table, sample_detections, with_latencies
from .convergence import near_zero_rows
from .results import (architecture_table, coco_table, controls_table, dense_maps, distillation_against_seeds, encodings_table,
                      ledger_table, load_results, relative_table, runs_frame, summary_table, table_caption, table_key)
from .selection import first_seed, in_detection_grid, is_dense, on_pruning_page, pruned, searched
from .oneshot import oneshot_curves, oneshot_curves_of

__all__ = [
    "styled", "run_card", "sample_detections", "map_under_rules", "rules_table",
    "architecture_findings", "paper_scale_table", "architecture_table", "coco_table", "dense_maps",
    "distillation_against_seeds", "first_seed", "in_detection_grid", "is_dense", "ledger_table", "load_results",
    "near_zero_rows", "pruned", "relative_table", "runs_frame", "searched", "summary_table", "table_caption",
    "with_latencies", "encodings_table", "cs_search", "detection_grid", "gradual_schedule", "layer_sparsity",
    "map_vs_cost", "training_curves", "landing_values", "oneshot_figure", "oneshot_curves", "oneshot_curves_of", "on_pruning_page",
    "table_key", "controls_table", "deployment_answers", "deployment_table",
]
