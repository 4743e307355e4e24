"""The ablation of Qiu et al. (2022), Table I: every configuration trained on the same data with the same
budget, then scored on the same validation patches with the paper's metrics.

    python -m training.mtl.ablation --data mypkg.mymodule:make_datasets --out runs/ablation \
        [--presets stl_lcz mtl_learned_cbam_p2f ...] [--epochs 100 --max-steps N --seed 0 --width 16]

make_datasets() returns (train, validation) like train.py's --data, or (train, validation, test): with a
test set the scores are computed on it and the validation set only picks each run's best checkpoint.

Equal budgets: the same TrainConfig (epochs, steps cap, batch size, learning-rate schedule, patience)
and the same seed for every preset, so initialisation draws and shuffling order start identically; early
stopping on each run's own validation loss, as in the paper, and the best checkpoint is scored.

Scoring (``evaluate_model``), with torch predictions in eval mode (P2F fed by the predicted HSE):
- LCZ: the probabilities are brought onto the label grid as in the loss (average-pooled to a patch label,
  bilinearly upsampled to 10 m labels), the predicted class is their argmax and the reference class the
  argmax of the label distribution, counted where ``lcz_mask`` is True and the distribution is not empty;
  OA, Kappa, AA, WA, OAu, OAbu (metrics.lcz_scores) of the summed confusion matrix.
- HSE: the 20 m density against the reference where it is finite (and ``hse_mask``): MAE in percentage
  points, and Kappa, AA, OA, recall, precision and F-score of the settlement mask (density >= threshold,
  metrics.HSE_BINARY_THRESHOLD by default), all accumulated over the whole set without storing it.
A single-task configuration reports only its task; the other shows '-'. 'nan' means the score is
undefined on these data (e.g. no HSE reference at all, or a one-class binary mask for Kappa).

Writes into --out: one run folder per preset (train.py's files), ``ablation.csv`` (raw scores as
fractions, '-' where not applicable), ``ablation.md`` (the printed table, scores in %), ``results.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from . import metrics
from .losses import hse_mask, match_label_size
from .network import PRESETS, MultiTaskNet, NetworkConfig, preset
from .train import TrainConfig, _factory, fit, load_checkpoint, resolve_device, to_device

Log = Callable[[str], None]

NOT_APPLICABLE = "-"


# ------------------------------------------------------------------------------------------- scoring
class ScoreAccumulator:
    """LCZ confusion matrix and HSE error sums over batches, so a validation set never sits in memory."""

    def __init__(self, hse_threshold: float = metrics.HSE_BINARY_THRESHOLD):
        self.hse_threshold = hse_threshold
        self.lcz_cm = np.zeros((metrics.N_CLASSES, metrics.N_CLASSES), dtype=np.int64)
        self.hse_abs_sum = 0.0
        self.hse_n = 0
        self.hse_cm = np.zeros((2, 2), dtype=np.int64)

    def add_lcz(self, probabilities: torch.Tensor, label: torch.Tensor, mask: torch.Tensor | None) -> None:
        """probabilities (N, 17, H, W); label (N, 17, h, w) distribution; mask (N, h, w) or None."""
        p = match_label_size(probabilities.float(), tuple(label.shape[-2:]))
        valid = torch.isfinite(label).all(dim=1) & (torch.nan_to_num(label).sum(dim=1) > 0)
        if mask is not None:
            valid &= mask.bool().reshape(valid.shape)
        if not bool(valid.any()):
            return
        reference = torch.nan_to_num(label).argmax(dim=1)[valid].cpu().numpy() + 1
        predicted = p.argmax(dim=1)[valid].cpu().numpy() + 1
        self.lcz_cm += metrics.confusion_matrix(reference, predicted)

    def add_hse(self, prediction: torch.Tensor, reference: torch.Tensor, mask: torch.Tensor | None) -> None:
        """prediction and reference (N, 1, H/2, W/2); reference NaN (or mask False) where unlabelled."""
        valid = hse_mask(reference, mask)
        if not bool(valid.any()):
            return
        pred = prediction[valid].double().cpu().numpy()
        ref = reference[valid].double().cpu().numpy()
        self.hse_abs_sum += float(np.abs(pred - ref).sum())
        self.hse_n += int(ref.size)
        self.hse_cm += metrics.binary_confusion(pred, ref, self.hse_threshold)

    def lcz_scores(self) -> dict[str, Any]:
        scores: dict[str, Any] = metrics.lcz_scores(self.lcz_cm)
        scores["per_class_f1"] = [None if math.isnan(v) else v for v in metrics.f1_scores(self.lcz_cm).tolist()]
        return scores

    def hse_scores(self) -> dict[str, float]:
        """The keys of metrics.hse_scores (aggregate 1), from the running sums."""
        cm = self.hse_cm
        tp, fn, fp = int(cm[1, 1]), int(cm[1, 0]), int(cm[0, 1])
        return {
            "n": self.hse_n,
            "mae_percent": self.hse_abs_sum / self.hse_n * 100.0 if self.hse_n else math.nan,
            "threshold": float(self.hse_threshold),
            "aggregate": 1,
            "binary_n": int(cm.sum()),
            "binary_oa": metrics.overall_accuracy(cm),
            "binary_kappa": metrics.kappa(cm),
            "binary_aa": metrics.average_accuracy(cm),
            "binary_recall": tp / (tp + fn) if tp + fn else math.nan,
            "binary_precision": tp / (tp + fp) if tp + fp else math.nan,
            "binary_f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else math.nan,
        }


def evaluate_model(model: MultiTaskNet, data: Dataset | DataLoader, *, batch_size: int = 8,
                   device: str | torch.device = "cpu", hse_threshold: float = metrics.HSE_BINARY_THRESHOLD,
                   num_workers: int = 0) -> dict[str, Any]:
    """{"lcz": scores or None, "hse": scores or None}: None for a task the model does not have."""
    loader = data if isinstance(data, DataLoader) else DataLoader(data, batch_size=batch_size, shuffle=False,
                                                                   num_workers=num_workers)
    device = torch.device(device)
    model = model.to(device).eval()
    acc = ScoreAccumulator(hse_threshold)
    with torch.no_grad():
        for raw in loader:
            batch = to_device(raw, device)
            out = model(batch["image"])
            if "lcz" in out and "lcz" in batch:
                acc.add_lcz(out["lcz"], batch["lcz"], batch.get("lcz_mask"))
            if "hse" in out and "hse" in batch:
                acc.add_hse(out["hse"], batch["hse"], batch.get("hse_mask"))
    return {"lcz": acc.lcz_scores() if model.config.has_lcz else None,
            "hse": acc.hse_scores() if model.config.has_hse else None}


# -------------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    """One table column: where its value is in a result row, and how the Markdown shows it."""

    key: str
    header: str
    percent: bool = False  # shown x 100
    digits: int = 2


LCZ_COLUMNS = (
    Column("lcz_oa", "LCZ OA %", True), Column("lcz_kappa", "LCZ Kappa", digits=4),
    Column("lcz_aa", "LCZ AA %", True), Column("lcz_wa", "LCZ WA %", True),
    Column("lcz_oa_urban", "LCZ OAu %", True), Column("lcz_oa_built_natural", "LCZ OAbu %", True),
)
HSE_COLUMNS = (
    Column("hse_mae_percent", "HSE MAE %"), Column("hse_kappa", "HSE Kappa", digits=4),
    Column("hse_aa", "HSE AA %", True), Column("hse_recall", "HSE recall %", True),
    Column("hse_f1", "HSE F %", True),
)
COUNT_COLUMNS = (Column("lcz_n", "LCZ n", digits=0), Column("hse_n", "HSE n", digits=0))
SCORE_COLUMNS = LCZ_COLUMNS + HSE_COLUMNS + COUNT_COLUMNS


def score_fields(scores: Mapping[str, Any]) -> dict[str, Any]:
    """Flat table fields of evaluate_model's result; None (shown '-') for a task the model lacks."""
    lcz, hse = scores.get("lcz"), scores.get("hse")
    lcz_keys = {"lcz_oa": "oa", "lcz_kappa": "kappa", "lcz_aa": "aa", "lcz_wa": "wa", "lcz_oa_urban": "oa_urban",
                "lcz_oa_built_natural": "oa_built_natural", "lcz_n": "n"}
    hse_keys = {"hse_mae_percent": "mae_percent", "hse_kappa": "binary_kappa", "hse_aa": "binary_aa",
                "hse_recall": "binary_recall", "hse_f1": "binary_f1", "hse_n": "n"}
    row: dict[str, Any] = {k: (lcz[v] if lcz is not None else None) for k, v in lcz_keys.items()}
    row.update({k: (hse[v] if hse is not None else None) for k, v in hse_keys.items()})
    return row


def _cell(value: Any, column: Column | None) -> str:
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if column is not None:
            shown = value * 100 if column.percent else value
            return f"{shown:.{column.digits}f}"
    return str(value)


def markdown_table(rows: Sequence[Mapping[str, Any]], leading: Sequence[tuple[str, str]],
                   columns: Sequence[Column] = SCORE_COLUMNS) -> str:
    """A GitHub Markdown table: the `leading` (key, header) columns as given, then formatted scores."""
    headers = [h for _, h in leading] + [c.header for c in columns]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        cells = [_cell(row.get(k), None) for k, _ in leading] + [_cell(row.get(c.key), c) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_csv(rows: Sequence[Mapping[str, Any]], fields: Sequence[str], path: Path) -> None:
    """Raw values (fractions, full precision), '-' for not applicable, 'nan' for undefined."""
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for row in rows:
            writer.writerow([NOT_APPLICABLE if row.get(k) is None else row.get(k) for k in fields])


def _json_safe(value: Any) -> Any:
    """NaN -> None and paths -> text, so results.json is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(value: Any, path: Path) -> None:
    path.write_text(json.dumps(_json_safe(value), indent=2))


# ------------------------------------------------------------------------------------------ ablation
ABLATION_LEADING = (("preset", "configuration"), ("tasks", "tasks"), ("cbam", "CBAM"), ("p2f", "P2F"),
                    ("weighting", "weighting"))
RUN_FIELDS = ("params", "epochs_run", "best_epoch", "seconds")


def describe(config: NetworkConfig) -> dict[str, Any]:
    """The Table I switches of a configuration as table fields."""
    return {"tasks": "+".join(t.upper() for t in config.tasks), "cbam": "yes" if config.use_cbam else "no",
            "p2f": "yes" if config.use_p2f else ("no" if config.multi_task else NOT_APPLICABLE),
            "weighting": (("learned" if config.weighting == "learned" else "1:1") if config.multi_task
                          else NOT_APPLICABLE)}


def train_and_score(network_config: NetworkConfig, train_data: Dataset | DataLoader, val_data: Dataset | DataLoader,
                    run_dir: Path, config: TrainConfig, *, score_data: Dataset | DataLoader | None = None,
                    hse_threshold: float = metrics.HSE_BINARY_THRESHOLD, checkpoint: str = "best") -> dict[str, Any]:
    """fit() one configuration, reload its best (or last) checkpoint and score it; one result row."""
    started = time.perf_counter()
    result = fit(network_config, train_data, val_data, run_dir, config)
    seconds = time.perf_counter() - started
    model, _ = load_checkpoint(result.best_checkpoint if checkpoint == "best" else result.last_checkpoint)
    scores = evaluate_model(model, score_data if score_data is not None else val_data, batch_size=config.batch_size,
                            device=resolve_device(config.device), hse_threshold=hse_threshold,
                            num_workers=config.num_workers)
    return {**score_fields(scores), "params": sum(p.numel() for p in model.parameters()),
            "epochs_run": result.epochs_run, "best_epoch": result.best_epoch, "seconds": round(seconds, 2),
            "run_dir": str(run_dir), "scores": scores}


def run_ablation(train_data: Dataset | DataLoader, val_data: Dataset | DataLoader, out_dir: str | Path, *,
                 presets: Iterable[str] = tuple(PRESETS), config: TrainConfig | None = None, width: int | None = None,
                 test_data: Dataset | DataLoader | None = None, hse_threshold: float = metrics.HSE_BINARY_THRESHOLD,
                 checkpoint: str = "best", log: Log | None = None) -> list[dict[str, Any]]:
    """Train and score each preset with one TrainConfig; write ablation.csv/.md and results.json; the rows.

    checkpoint="last" scores (and reports in run_dir) the final weights: a fixed budget, no model selection
    on the validation data, so the validation areas stay an independent test.
    """
    if val_data is None:
        raise ValueError("the ablation needs validation data: every configuration is scored on the same patches")
    config = config or TrainConfig()
    say = log or (lambda message: print(message, file=sys.stderr, flush=True))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = list(presets)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise KeyError(f"unknown presets {unknown}; known: {', '.join(PRESETS)}")
    rows = []
    for i, name in enumerate(names, 1):
        network_config = preset(name, **({"width": width} if width else {}))
        say(f"[{i}/{len(names)}] {name}")
        row = {"preset": name, **describe(network_config)}
        row.update(train_and_score(network_config, train_data, val_data, out / name, config, score_data=test_data,
                                   hse_threshold=hse_threshold, checkpoint=checkpoint))
        row["checkpoint"] = checkpoint
        rows.append(row)
    fields = [k for k, _ in ABLATION_LEADING] + [c.key for c in SCORE_COLUMNS] + list(RUN_FIELDS)
    write_csv(rows, fields, out / "ablation.csv")
    scored_on = "test" if test_data is not None else "validation"
    note = (f"Scored on the {scored_on} set; HSE mask threshold {hse_threshold}; '-' = task not in the "
            f"configuration, 'nan' = undefined on these data.\n\n")
    (out / "ablation.md").write_text(note + markdown_table(rows, ABLATION_LEADING))
    write_json({"scored_on": scored_on, "hse_threshold": hse_threshold, "train": asdict(config),
                "width": width, "rows": rows}, out / "results.json")
    return rows


# ---------------------------------------------------------------------------------------- command line
def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """The budget options shared by the ablation and the subset commands."""
    defaults = TrainConfig()
    parser.add_argument("--data", required=True,
                        help="module:function returning (train, validation) or (train, validation, test) datasets")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--width", type=int, default=None, help="f, feature maps of the first layer")
    for name in ("epochs", "batch_size", "patience", "seed", "num_workers"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    parser.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps per epoch (smoke runs)")
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--hse-threshold", type=float, default=metrics.HSE_BINARY_THRESHOLD,
                        help="density at or above which a 20 m cell counts as settlement")
    parser.add_argument("--quiet", action="store_true", help="no per-step progress")


def train_config_from(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, patience=args.patience, seed=args.seed,
                       num_workers=args.num_workers, lr=args.lr, device=args.device,
                       max_steps_per_epoch=args.max_steps, progress=not args.quiet)


def load_data(spec: str) -> tuple[Any, Any, Any]:
    """(train, validation, test or None) from a --data factory returning two or three datasets."""
    made = _factory(spec)()
    if not isinstance(made, tuple | list) or len(made) not in (2, 3):
        raise SystemExit(f"{spec} must return (train, validation) or (train, validation, test)")
    train, val, *rest = made
    if val is None:
        raise SystemExit(f"{spec} returned no validation dataset: the comparison needs one")
    return train, val, (rest[0] if rest else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Table I ablation: train every configuration on the same data "
                                                 "with the same budget and compare their scores.")
    add_training_arguments(parser)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS), metavar="PRESET",
                        help=f"configurations to compare (default all: {' '.join(PRESETS)})")
    args = parser.parse_args(argv)
    train, val, test = load_data(args.data)
    rows = run_ablation(train, val, args.out, presets=args.presets, config=train_config_from(args),
                        width=args.width, test_data=test, hse_threshold=args.hse_threshold)
    print(markdown_table(rows, ABLATION_LEADING), end="")
    print(f"written: {args.out / 'ablation.csv'}, {args.out / 'ablation.md'}, {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
