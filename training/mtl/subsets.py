"""The subset experiment of Koller et al.: does training on the most certain samples beat random subsets?

    python -m training.mtl.subsets --data mypkg.mymodule:make_datasets --out runs/subsets \
        --fractions 0.25 0.5 0.75 --strategies UT UTS R [--preset NAME | --reference runs/a/best.pt] [--seed 0]

Steps:
1. Reference model: trained here on the whole training set (``--preset``, same budget as every other run),
   or loaded from ``--reference`` (its network config is then the default for the retraining as well).
2. Embeddings: ``MultiTaskNet.embed`` (penultimate LCZ features, window mean) of every training sample,
   in eval mode, in dataset order.
3. Sample class: the argmax of the sample's LCZ label distribution summed over its labelled pixels. For
   a patch label (So2Sat LCZ42, h = w = 1) this is the argmax of the distribution; for dense labels (one
   label per pixel) it is the **majority label of the patch** (the class with the most labelled pixels,
   or the most probability mass for soft labels); ties go to the lower LCZ code.
4. Uncertainty: distance of each embedding to the geometric median of its class (uncertainty.py).
5. For each strategy (UT: most certain overall; UTS: most certain within each class; R: random, seeded)
   and fraction: the subset of the LCZ-labelled samples, round(fraction x N) (UTS: per class). Samples
   without any LCZ label have no class and no uncertainty: they are **kept in every subset** (the
   selection judges LCZ labels only), and fractions count the LCZ-labelled samples.
6. Retrain from the same seed on each subset with an equal budget and score on the validation set (or
   the test set, when the --data factory returns three datasets) with ablation.evaluate_model.

Equal budget (``--budget``): "steps" (default) gives every run the optimizer steps of the full set: each
epoch draws len(full set) samples from the subset (whole reshuffled passes, then a partial one), so only
the data differ, not the compute or the learning-rate schedule. "epochs" keeps the epochs, so smaller
subsets get proportionally fewer steps. ``--max-steps`` caps steps per epoch in both.

A training dataset must give the same sample for the same index (up to augmentation). The random-patch
mode of data_scenes.ScenePatchDataset does not; it is replaced by the fixed grid of its sampler's
non-overlapping labelled windows (same turns and flips while training, none for the embeddings).

Writes into --out: ``reference/`` (when trained here), ``embeddings.npy``, ``classes.npy`` (0-based,
-1 = no LCZ label), ``uncertainty.npy`` (NaN for those), ``indices/{strategy}_{fraction}.npy`` (dataset
indices trained on), one run folder per subset, ``subsets.csv``, ``subsets.md`` and ``results.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler, Subset

from . import metrics, uncertainty
from .ablation import (
    SCORE_COLUMNS,
    add_training_arguments,
    describe,
    evaluate_model,
    load_data,
    markdown_table,
    score_fields,
    train_config_from,
    write_csv,
    write_json,
)
from .network import PRESETS, MultiTaskNet, NetworkConfig, preset
from .train import TrainConfig, fit, load_checkpoint, resolve_device, to_device

Log = Callable[[str], None]

DEFAULT_PRESET = "mtl_learned_cbam_p2f"
BUDGETS = ("steps", "epochs")
SUBSET_LEADING = (("strategy", "strategy"), ("fraction", "fraction"), ("n_train", "samples"),
                  ("n_classes", "classes"))


# ------------------------------------------------------------------------------- a fixed sample pool
class FixedPatchPool(Dataset):
    """The windows of a patch sampler's fixed grid as indexable samples, randomly turned/flipped when augmenting.

    Stands in for a random-patch training dataset (a new patch per access), whose indices name no sample.
    """

    def __init__(self, sampler: Any, stride: int | None = None):
        self.sampler = sampler
        self.places = list(sampler.grid(stride))
        self.augment = bool(getattr(sampler, "augment", False))

    def __len__(self) -> int:
        return len(self.places)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        where = self.places[index]
        if self.augment:
            turn = torch.randint(0, 4, (2,))  # torch's RNG: seeded by fit() and per DataLoader worker
            where = dataclasses.replace(where, k=int(turn[0]), flip=bool(turn[1] % 2))
        return {key: torch.from_numpy(np.ascontiguousarray(v)) for key, v in self.sampler.sample(where).items()}


def fixed_pool(dataset: Dataset, log: Log | None = None) -> Dataset:
    """The dataset itself, or a FixedPatchPool when it draws random patches (data_scenes random mode)."""
    if isinstance(dataset, DataLoader):
        raise TypeError("the subset experiment needs a Dataset (indexable samples), not a DataLoader")
    if getattr(dataset, "mode", None) != "random":
        return dataset
    sampler = getattr(dataset, "sampler", None)
    if sampler is None or not hasattr(sampler, "grid"):
        raise ValueError("this training dataset draws random samples, so its indices name no sample; "
                         "give the subset experiment a dataset of fixed samples")
    pool = FixedPatchPool(sampler)
    (log or _stderr)(f"the training dataset draws random patches: using the {len(pool)} fixed grid windows of "
                     "its sampler as the sample pool")
    return pool


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------- embeddings and classes
def sample_class(lcz: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """(N,) 0-based class of each sample: argmax of the label distribution summed over labelled pixels; -1 if none.

    lcz (N, 17, h, w); mask (N, h, w) or None. With one-hot dense labels this is the patch's majority label.
    """
    label = torch.nan_to_num(lcz.float())
    valid = torch.isfinite(lcz).all(dim=1)
    if mask is not None:
        valid &= mask.bool().reshape(valid.shape)
    mass = (label * valid.unsqueeze(1)).sum(dim=(2, 3))
    return torch.where(mass.sum(dim=1) > 0, mass.argmax(dim=1), torch.full_like(mass[:, 0], -1, dtype=torch.long))


def embed_dataset(model: MultiTaskNet, dataset: Dataset, *, batch_size: int = 8, device: str | torch.device = "cpu",
                  num_workers: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings (N, 4f) float32, classes (N,) int64 with -1 for no LCZ label), in dataset order, no augmentation."""
    if not model.config.has_lcz:
        raise ValueError("the reference model needs an LCZ branch: embeddings are its penultimate LCZ features")
    augment = getattr(dataset, "augment", None)
    if isinstance(dataset, FixedPatchPool):
        dataset.augment = False
    try:
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
        device = torch.device(device)
        model = model.to(device).eval()
        embeddings, classes = [], []
        with torch.no_grad():
            for raw in loader:
                batch = to_device(raw, device)
                embeddings.append(model.embed(batch["image"]).float().cpu().numpy())
                classes.append(sample_class(batch["lcz"], batch.get("lcz_mask")).cpu().numpy())
    finally:
        if isinstance(dataset, FixedPatchPool):
            dataset.augment = bool(augment)
    return np.concatenate(embeddings), np.concatenate(classes).astype(np.int64)


# ------------------------------------------------------------------------------------- selection
def select_subsets(uncert: np.ndarray, classes: np.ndarray, fractions: Sequence[float], strategies: Sequence[str],
                   seed: int = 0) -> dict[tuple[str, float], np.ndarray]:
    """{(strategy, fraction): sorted dataset indices}: a selection among the LCZ-labelled samples (classes >= 0)
    plus every sample without an LCZ label (classes == -1)."""
    classes = np.asarray(classes)
    labelled = np.flatnonzero(classes >= 0)
    unlabelled = np.flatnonzero(classes < 0)
    if not len(labelled):
        raise ValueError("no training sample has an LCZ label: nothing to select by LCZ uncertainty")
    out = {}
    for strategy in strategies:
        for fraction in fractions:
            if not 0.0 < fraction <= 1.0:
                raise ValueError(f"fractions must be in (0, 1], not {fraction}")
            chosen = uncertainty.select(strategy, fraction, np.asarray(uncert)[labelled], classes[labelled],
                                        n=len(labelled), seed=seed)
            indices = np.sort(np.concatenate([labelled[chosen], unlabelled]))
            if not len(indices):
                raise ValueError(f"{strategy} {fraction:g} of {len(labelled)} samples selects none: "
                                 "use a larger fraction")
            out[(strategy.upper(), float(fraction))] = indices
    return out


def budget_loader(dataset: Dataset, config: TrainConfig, samples_per_epoch: int | None = None) -> DataLoader:
    """Shuffled batches seeded by config.seed; samples_per_epoch > len(dataset) repeats whole reshuffled passes."""
    generator = torch.Generator().manual_seed(config.seed)
    sampler = RandomSampler(dataset, num_samples=samples_per_epoch, generator=generator)
    return DataLoader(dataset, batch_size=config.batch_size, sampler=sampler, num_workers=config.num_workers)


# ------------------------------------------------------------------------------------- experiment
def preset_name(config: NetworkConfig) -> str:
    """The Table I name of a configuration (whatever its width), or "custom"."""
    return next((name for name, p in PRESETS.items() if dataclasses.replace(p, width=config.width) == config), "custom")


def run_subsets(train_data: Dataset, val_data: Dataset | DataLoader, out_dir: str | Path, *,
                fractions: Sequence[float] = (0.25, 0.5, 0.75), strategies: Sequence[str] = uncertainty.SELECTIONS,
                network: NetworkConfig | str | None = None, reference: str | Path | None = None,
                config: TrainConfig | None = None, budget: str = "steps", test_data: Dataset | DataLoader | None = None,
                hse_threshold: float = metrics.HSE_BINARY_THRESHOLD, log: Log | None = None) -> list[dict[str, Any]]:
    """The whole experiment (module docstring); returns the table rows, the reference ("full") first."""
    if val_data is None:
        raise ValueError("the subset experiment needs validation data (checkpoint choice and scores)")
    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}, not {budget!r}")
    unknown = [s for s in strategies if s.upper() not in uncertainty.SELECTIONS]
    if unknown:
        raise ValueError(f"unknown strategies {unknown}; known: {', '.join(uncertainty.SELECTIONS)}")
    config = config or TrainConfig()
    say = log or _stderr
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = resolve_device(config.device)
    pool = fixed_pool(train_data, say)
    n_full = len(pool)  # type: ignore[arg-type]
    per_epoch = n_full if budget == "steps" else None
    score_on = test_data if test_data is not None else val_data

    def score(model: MultiTaskNet) -> dict[str, Any]:
        return evaluate_model(model, score_on, batch_size=config.batch_size, device=device,
                              hse_threshold=hse_threshold, num_workers=config.num_workers)

    # 1. the reference model
    if reference is not None:
        ref_model, _ = load_checkpoint(reference)
        network_config = network if network is not None else ref_model.config
        ref_row: dict[str, Any] = {"strategy": "full (reference checkpoint)", "epochs_run": None,
                                   "run_dir": str(reference)}
        say(f"reference model: {reference}")
    else:
        network_config = network if network is not None else DEFAULT_PRESET
        say("reference model: training on the whole training set")
        result = fit(network_config, budget_loader(pool, config, per_epoch), val_data, out / "reference", config)
        ref_model, _ = load_checkpoint(result.best_checkpoint)
        ref_row = {"strategy": "full", "epochs_run": result.epochs_run, "run_dir": str(out / "reference")}
    if isinstance(network_config, str):
        network_config = preset(network_config)

    # 2-4. embeddings, classes, uncertainty
    embeddings, classes = embed_dataset(ref_model, pool, batch_size=config.batch_size, device=device,
                                        num_workers=config.num_workers)
    labelled = classes >= 0
    if not labelled.any():
        raise ValueError("no training sample has an LCZ label: nothing to select by LCZ uncertainty")
    medians = uncertainty.class_medians(embeddings[labelled], classes[labelled])
    uncert = np.full(len(classes), np.nan)
    uncert[labelled] = uncertainty.uncertainty(embeddings[labelled], classes[labelled], medians)
    np.save(out / "embeddings.npy", embeddings)
    np.save(out / "classes.npy", classes)
    np.save(out / "uncertainty.npy", uncert)
    say(f"{labelled.sum()} of {n_full} training samples have an LCZ label, "
        f"in {len(np.unique(classes[labelled]))} classes")

    ref_scores = score(ref_model)
    rows = [{**ref_row, "fraction": 1.0, "n_train": n_full, "n_classes": int(len(np.unique(classes[labelled]))),
             **score_fields(ref_scores), "scores": ref_scores}]

    # 5-6. subsets, retraining, scores
    (out / "indices").mkdir(exist_ok=True)
    chosen = select_subsets(uncert, classes, fractions, strategies, seed=config.seed)
    for i, ((strategy, fraction), indices) in enumerate(chosen.items(), 1):
        name = f"{strategy}_{fraction:g}"
        np.save(out / "indices" / f"{name}.npy", indices)
        kept = classes[indices]
        say(f"[{i}/{len(chosen)}] {name}: {len(indices)} samples")
        result = fit(network_config, budget_loader(Subset(pool, indices.tolist()), config, per_epoch), val_data,
                     out / name, config)
        model, _ = load_checkpoint(result.best_checkpoint)
        scores = score(model)
        rows.append({"strategy": strategy, "fraction": fraction, "n_train": len(indices),
                     "n_classes": int(len(np.unique(kept[kept >= 0]))), **score_fields(scores),
                     "epochs_run": result.epochs_run, "run_dir": str(out / name), "scores": scores})

    fields = [k for k, _ in SUBSET_LEADING] + [c.key for c in SCORE_COLUMNS] + ["epochs_run"]
    write_csv(rows, fields, out / "subsets.csv")
    scored_on = "test" if test_data is not None else "validation"
    switches = ", ".join(f"{k} {v}" for k, v in describe(network_config).items())
    note = (f"Network: {preset_name(network_config)} (width {network_config.width}; {switches}); "
            f"budget: equal {budget}; scored on the {scored_on} set; sample class = majority LCZ label of the patch; "
            "'-' = task not in the network.\n\n")
    (out / "subsets.md").write_text(note + markdown_table(rows, SUBSET_LEADING))
    write_json({"network": dataclasses.asdict(network_config), "train": dataclasses.asdict(config), "budget": budget,
                "scored_on": scored_on, "reference": str(reference) if reference else None,
                "n_train": n_full, "n_lcz_labelled": int(labelled.sum()), "rows": rows}, out / "results.json")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Koller et al. subset experiment: UT / UTS / R training subsets "
                                                 "by embedding uncertainty, retrained and compared.")
    add_training_arguments(parser)
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.25, 0.5, 0.75])
    parser.add_argument("--strategies", nargs="+", default=list(uncertainty.SELECTIONS),
                        type=str.upper, choices=list(uncertainty.SELECTIONS))
    parser.add_argument("--preset", choices=list(PRESETS), default=None,
                        help=f"network of every run (default: the reference checkpoint's, else {DEFAULT_PRESET})")
    parser.add_argument("--reference", type=Path, default=None, help="checkpoint of a trained reference model")
    parser.add_argument("--budget", choices=BUDGETS, default="steps",
                        help="equal optimizer steps per epoch (default) or equal epochs for every subset")
    args = parser.parse_args(argv)
    network = None
    if args.preset is not None or args.width:
        base = args.preset or (None if args.reference else DEFAULT_PRESET)
        if base is None:
            network = dataclasses.replace(load_checkpoint(args.reference)[0].config, width=args.width)
        else:
            network = preset(base, **({"width": args.width} if args.width else {}))
    train, val, test = load_data(args.data)
    rows = run_subsets(train, val, args.out, fractions=args.fractions, strategies=args.strategies, network=network,
                       reference=args.reference, config=train_config_from(args), budget=args.budget, test_data=test,
                       hse_threshold=args.hse_threshold)
    print(markdown_table(rows, SUBSET_LEADING), end="")
    print(f"written: {args.out / 'subsets.csv'}, {args.out / 'subsets.md'}, {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
