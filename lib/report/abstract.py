"""What the book's written pages state about the build they belong to: on the landing
page the scale it ran at and where (profile, seeds, commit, date, CPU, threads) and its
headline, the row with the best trade-off of accuracy against MACs beside the paper's
numbers for the same row; on each method's chapter page, a table of its runs and what
they show. The results notebook computes these and glues them; the pages paste them,
so they always describe the build actually made."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from ..measure import cpu_name
from ..methods import templates_by_page
from ..paths import REPO
from ..profiles import get_profile, profile_params
from ..study.rows import DENSE, PAPER_DATASET, REFERENCES, ROW
from .convergence import trained_flags
from .findings import findings_table
from .references import with_references
from .verdict import KEEPS, compare
from .results import pareto_front, percent, reference_of, relative_table, row_means, row_runs, table_key

PAPER_NAMES = {"voc": "VOC", "exdark": "ExDark"}
LEARNED = 0.05  # below this dense mAP@0.5 (the smoke profile's seconds of training) no % of it means anything


def commit() -> str:
    """The repository's short commit, marked if tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()
    try:
        head = git("rev-parse", "--short", "HEAD")
        return head + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def build_info(profile: str, runs: pd.DataFrame, threads: int) -> dict[str, str]:
    """The build's facts for the landing page, as text."""
    seeds = runs.groupby(["dataset", "row"])["seed"].nunique()
    return {"profile": profile, "scale": describe(profile),
            "seeds": str(seeds.max()) if seeds.min() == seeds.max() else f"{seeds.min()} to {seeds.max()} per row",
            "runs": str(len(runs)), "datasets": ", ".join(dict.fromkeys(runs["dataset"])),
            "commit": commit(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_name(), "threads": str(threads)}


def describe(profile: str) -> str:
    """The profile's scale in words: width, input size, schedule, optimiser and data."""
    definition, base = get_profile(profile), profile_params(profile)
    d, t = base.data, base.train
    epochs = f"{t.epochs} epochs"
    longer = {name: o["train.epochs"] for name, o in definition.per_model.items() if "train.epochs" in o}
    if longer:
        epochs += " (" + ", ".join(f"{name} {n}" for name, n in longer.items()) + ")"
    data = ", ".join(definition.datasets)
    if d.dataset.startswith("builtin"):
        data += f" ({d.builtin_train} generated training images each)"
    return (f"models at width {base.model.width:g}, {d.img_size} × {d.img_size} inputs, {epochs} in batches of "
            f"{t.batch_size}, {t.optimizer}, on {data}")


def best_trade_off(runs: pd.DataFrame, dataset: str) -> str | None:
    """The row id of the cheapest row by MACs on the Pareto front of mAP@0.5 against
    MACs that keeps ``KEEPS`` of the mAP@0.5 of the dense YOLOv3 of its own budget;
    failing that, the front's most accurate row besides the dense ones (None: no such row)."""
    means = with_references(row_means(runs, dataset, ["macs", "map50", "budget"])).reset_index()
    front = means[pareto_front(means["macs"].to_numpy(), means["map50"].to_numpy()) & ~means["row"].isin(REFERENCES)]
    if front.empty:
        return None
    keeping = front[front["map50"] >= KEEPS * front["reference_map50"]]
    chosen = keeping.nsmallest(1, "macs") if len(keeping) else front.nlargest(1, "map50")
    return chosen["row"].iloc[0]


def not_learned(runs: pd.DataFrame, dataset: str) -> str:
    """Why no percentage of the dense YOLOv3 of ``dataset`` means anything in this build
    (it reached less than ``LEARNED``), or "" where it learned."""
    dense = row_means(runs, dataset, ["map50"]).xs(DENSE, level="row")["map50"]
    if len(dense) and dense.iloc[0] < LEARNED:
        return (f"On {dataset} the dense YOLOv3 reached a test mAP@0.5 of only {dense.iloc[0]:.3f} in this build: "
                "too little for percentages of it to say anything; build a profile that learns (make book).")
    return ""


def headline(runs: pd.DataFrame, dataset: str) -> str:
    """One sentence: the best trade-off row of ``dataset`` as % of the dense YOLOv3,
    beside the paper's percentages for the same row where the paper has it."""
    reason = not_learned(runs, dataset)
    if reason:
        return reason
    row = best_trade_off(runs, dataset)
    if row is None:
        return f"No row of {dataset} lies on the accuracy–MACs front besides the dense YOLOv3."
    label = ROW[row]
    table = relative_table(runs, dataset)
    line = table[(table["model"] == label.model) & (table["training"] == label.training)].iloc[0]
    mib = row_means(runs, dataset, ["storage_mib"]).xs(row, level="row")["storage_mib"].iloc[0]
    ours = (f"{label.model}, {label.training} keeps {line['mAP@0.5 %']:.0f}% of the test mAP@0.5 of the dense "
            f"YOLOv3 of its training budget ({line['vs']}; {line['budget ×']:.1f}× one dense run) with "
            f"{line['params %']:.1f}% of its parameters, {line['MACs %']:.1f}% of its MACs and a {mib:.2f} MiB file")
    ours += f" ({gap_words(runs, dataset, row, reference_of(runs, dataset, row))})"
    if np.isnan(line.get("paper mAP@0.5 %", np.nan)):
        return ours + "; a row the paper did not have."
    return (ours + f"; in the paper, on {PAPER_NAMES[PAPER_DATASET[dataset]]}, "
            f"the same row kept {line['paper mAP@0.5 %']:.0f}% of the mAP with {line['paper params %']:.1f}% of the "
            f"parameters and {line['paper MACs %']:.1f}% of the MACs.")


def gap_words(runs: pd.DataFrame, dataset: str, row: str, reference: str) -> str:
    """A row's gap to its reference in words, with the book's verdict on it."""
    verdict = compare(row_runs(runs, dataset, row)["map50"], row_runs(runs, dataset, reference)["map50"])
    return f"its gap to that reference is {verdict.difference:+.3f} mAP@0.5 ({verdict.words()})"


def reference_limits(runs: pd.DataFrame, dataset: str) -> str:
    """Whether the dense references of ``dataset`` were still improving when they stopped:
    a limit on every percentage of them."""
    lines = []
    for reference in REFERENCES:
        flags = trained_flags(row_runs(runs, dataset, reference)["still_rising"])
        if not flags:  # not run, or not trained here (a converted result): nothing to say of its schedule
            continue
        label = f"the dense YOLOv3 ({ROW[reference].training})"
        rising = sum(flags)
        if not rising:
            lines.append(f"On {dataset}, {label} had stopped improving: its best validation epoch came before the "
                         "last 30% of its training.")
        else:
            which = ("its one run had its best validation epoch" if len(flags) == 1 else
                     f"all {len(flags)} of its runs had their best validation epoch" if rising == len(flags) else
                     f"{rising} of its {len(flags)} runs had their best validation epoch")
            lines.append(f"On {dataset}, {label} was still improving when it stopped ({which} in the last 30% of "
                         "training): a longer schedule would likely raise it, and with it every percentage of it. This "
                         "is a limit of this build.")
    return " ".join(lines)


def compact_table(runs: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Every row of ``dataset`` in a few columns: its budget, test mAP@0.5, mAP as % of the
    dense YOLOv3 of its budget, parameters and MACs as % of the dense YOLOv3's, beside the
    paper's mAP % (— where the paper has no row)."""
    table = relative_table(runs, dataset)
    table = table[~table["training"].str.endswith("file deflated")]
    means = row_means(runs, dataset, ["map50"]).reset_index()
    table = table.merge(means[["model", "training", "map50"]], on=["model", "training"], how="left")
    table["map50"] = table["map50"].map(lambda v: f"{v:.3f}")  # 3 digits where the percentages show 1
    return table.rename(columns={"map50": "mAP@0.5"})[
        ["model", "training", "budget ×", "mAP@0.5", "mAP@0.5 %", "paper mAP@0.5 %", "params %", "MACs %"]]


def landing_values(profile: str, runs: pd.DataFrame, threads: int) -> dict:
    """Every value the written pages paste, by glue key: ``build_<fact>``, and for each
    paper table (``table1``, ``table2``) its dataset's ``headline_`` sentence,
    ``summary_`` table (a DataFrame, its caption in ``attrs``), ``findings_`` (the
    paper's findings judged) and ``limits_`` (the references' convergence), or a note
    where this build did not run that dataset (the pages paste every key, whatever was
    built); per written chapter its ``chapter_`` table and ``conclusion_``."""
    values = {f"build_{key}": value for key, value in build_info(profile, runs, threads).items()}
    by_table = {table_key(dataset): dataset for dataset in dict.fromkeys(runs["dataset"])}
    for table in ("table1", "table2"):
        dataset = by_table.get(table)
        if dataset is None:
            for key in ("headline", "summary", "findings", "limits"):
                values[f"{key}_{table}"] = "Not run in this build."
            continue
        values[f"headline_{table}"] = headline(runs, dataset)
        values[f"limits_{table}"] = reference_limits(runs, dataset) or "No dense reference trained in this build."
        findings = findings_table(runs, dataset)
        findings.attrs["caption"] = f"The paper's findings, judged on this build: {dataset}"
        values[f"findings_{table}"] = findings
        summary = compact_table(runs, dataset)
        summary.attrs["caption"] = (f"Every row as % of the dense YOLOv3 (mAP: of the one trained as long as the row): "
                                    f"{dataset}")
        values[f"summary_{table}"] = summary
    for page, chapters in CHAPTER_PAGES.items():
        table = chapter_table(runs, chapters)
        table.attrs["caption"] = "This build's runs of the chapter, every dataset (n: seeds)"
        values[f"chapter_{page}"] = table if len(table) else "None of this chapter's rows ran in this build."
        values[f"conclusion_{page}"] = chapter_conclusion(runs, table)
    return values


CHAPTER_PAGES = templates_by_page()  # the written chapters that summarise runs, with their runs' templates


def chapter_table(runs: pd.DataFrame, chapters: tuple[str, ...]) -> pd.DataFrame:
    """The rows run by ``chapters``' templates on every dataset: their budget, test mAP@0.5
    (mean over seeds, with n), mAP as % of the dense YOLOv3 of the row's budget and the
    book's verdict on the gap to it, parameters and MACs as % of the dense YOLOv3's, and
    the file's MiB."""
    out = []
    for dataset in dict.fromkeys(runs["dataset"]):
        means = with_references(row_means(runs, dataset, ["map50", "params", "macs", "storage_mib", "budget"]))
        dense = means.xs(DENSE, level="row").iloc[0]
        for (row, model, training), m in means.iterrows():
            if row in ROW and ROW[row].chapter in chapters:
                mine = row_runs(runs, dataset, row)["map50"]
                gap = compare(mine, row_runs(runs, dataset, m["reference"])["map50"])
                out.append({"dataset": dataset, "model": model, "training": training, "n": len(mine),
                            "budget ×": m["budget"], "mAP@0.5": f"{m['map50']:.3f}",
                            "mAP %": percent(m["map50"], m["reference_map50"]), "gap": gap.short(),
                            "params %": 100 * m["params"] / dense["params"], "MACs %": 100 * m["macs"] / dense["macs"],
                            "MiB": m["storage_mib"]})
    return pd.DataFrame(out)


def chapter_conclusion(runs: pd.DataFrame, table: pd.DataFrame) -> str:
    """What a chapter's runs show on each dataset (``chapter_table``): its most accurate
    row and its cheapest by MACs, each against the dense YOLOv3 (nothing, where that
    learned too little for a percentage of it to mean anything)."""
    if table.empty:
        return "None of this chapter's rows ran in this build."
    lines = []
    for dataset, rows in table.groupby("dataset", sort=False):
        reason = not_learned(runs, dataset)
        if reason:
            lines.append(reason)
            continue
        best, cheapest = rows.loc[rows["mAP %"].idxmax()], rows.loc[rows["MACs %"].idxmin()]
        line = (f"On {dataset}, the most accurate is {best['model']}, {best['training']} "
                f"({best['mAP %']:.0f}% of the mAP@0.5 of the dense YOLOv3 trained as long, at {best['MACs %']:.1f}% "
                f"of its MACs; n = {best['n']}, gap: {best['gap']})")
        if cheapest.name != best.name:
            line += (f"; the cheapest, {cheapest['model']}, {cheapest['training']}, keeps {cheapest['mAP %']:.0f}% "
                     f"at {cheapest['MACs %']:.1f}% of the MACs (n = {cheapest['n']}, gap: {cheapest['gap']})")
        lines.append(line + ".")
    return " ".join(lines)
