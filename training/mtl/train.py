"""The optimisation loop of Qiu et al. (2022): NAdam lr 0.002, lr x0.25 every two epochs, batch 8,
early stopping on the validation loss with patience 10; best and last checkpoints and a CSV log.

Datasets yield dicts following the batch convention of docs/TRAINING.md:
  image (10, H, W) float32 DN; hse (1, H/2, W/2) float32, NaN where unlabelled (optional hse_mask);
  lcz (17, h, w) float32 distribution; lcz_mask (h, w) bool.

Command line (the datasets come from a factory you name, so any reader can feed it):
  python -m training.mtl.train --preset mtl_learned_cbam_p2f --data mypkg.mymodule:make_datasets --out runs/a
where make_datasets() returns (train_dataset, validation_dataset_or_None).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import math
import random
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from .losses import MultiTaskLoss
from .network import MultiTaskNet, NetworkConfig, preset

CSV_FIELDS = (
    "epoch", "lr", "train_loss", "train_hse", "train_lcz", "val_loss", "val_hse", "val_lcz",
    "sigma_hse", "sigma_lcz", "seconds",
)


@dataclass
class TrainConfig:
    """The paper's optimisation settings as defaults."""

    epochs: int = 100
    batch_size: int = 8
    lr: float = 0.002
    lr_step_epochs: int = 2
    lr_gamma: float = 0.25
    patience: int = 10
    seed: int = 0
    num_workers: int = 0
    device: str = "cpu"  # "cpu", "cuda", or "auto"
    max_steps_per_epoch: int | None = None  # for smoke runs
    progress: bool = True
    resume: bool = False  # continue from out_dir/last.pt (same network config) instead of starting afresh
    lcz_class_weights: tuple[float, ...] | None = None  # losses.class_balance_weights; None = unweighted


@dataclass
class FitResult:
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    stopped_early: bool
    best_checkpoint: Path
    last_checkpoint: Path
    log: Path
    history: list[dict[str, Any]] = field(default_factory=list)


class EarlyStopping:
    """Stop after `patience` epochs without a lower monitored loss (NaN never counts as lower)."""

    def __init__(self, patience: int):
        self.patience, self.best, self.best_epoch, self.waited = patience, math.inf, 0, 0

    def update(self, epoch: int, value: float) -> bool:
        """Record an epoch's loss; True when it is the best so far."""
        if value < self.best:
            self.best, self.best_epoch, self.waited = value, epoch, 0
            return True
        self.waited += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.waited >= self.patience


def seed_everything(seed: int) -> None:
    """Python, NumPy and torch generators, so a run repeats on the same machine."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def epoch_seed(seed: int, epoch: int) -> int:
    """Every epoch starts from its own seed, so a run resumed after epoch k repeats the uninterrupted run."""
    return seed * 100_003 + epoch


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def to_device(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def _loader(data: Dataset | DataLoader, config: TrainConfig, shuffle: bool) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    generator = torch.Generator().manual_seed(config.seed)
    return DataLoader(data, batch_size=config.batch_size, shuffle=shuffle, num_workers=config.num_workers,
                      generator=generator, drop_last=False)


def _reseed(loader: Iterable, seed: int) -> None:
    """Seed the global generators and the loader's own shuffling generator for one epoch."""
    seed_everything(seed)
    generator = getattr(loader, "generator", None)
    if isinstance(generator, torch.Generator):
        generator.manual_seed(seed)


def _read_history(log_path: Path, last_epoch: int) -> list[dict[str, Any]]:
    """The log rows of epochs 1..last_epoch (a run killed after logging but before saving has one more)."""
    with log_path.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if int(row["epoch"]) <= last_epoch]
    return [{k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()} for row in rows]


def _resume(last_path: Path, log_path: Path, network_config: NetworkConfig, model: MultiTaskNet,
            criterion: MultiTaskLoss, optimizer: torch.optim.Optimizer,
            scheduler: torch.optim.lr_scheduler.LRScheduler) -> list[dict[str, Any]]:
    """Load last.pt into the training objects; the logged history up to its epoch ([] if nothing to resume)."""
    if not last_path.exists() or not log_path.exists():
        return []
    checkpoint = torch.load(last_path, map_location="cpu", weights_only=True)
    if config_from_dict(checkpoint["network_config"]) != network_config:
        raise ValueError(f"{last_path} was trained with another network configuration: use a new folder")
    if "optimizer" not in checkpoint:
        raise ValueError(f"{last_path} holds weights only (no optimizer state): it cannot be resumed")
    model.load_state_dict(checkpoint["model"])
    criterion.load_state_dict(checkpoint["loss"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return _read_history(log_path, int(checkpoint["epoch"]))


class _Progress:
    """tqdm when installed, otherwise one plain text line per epoch with a carriage-return counter."""

    def __init__(self, total: int | None, description: str, enabled: bool):
        self.enabled, self.total, self.description, self.count = enabled, total, description, 0
        self.bar = None
        if enabled:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=description, leave=False)
            except ImportError:
                self.bar = None

    def update(self, loss: float) -> None:
        self.count += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4f}")
        else:
            total = f"/{self.total}" if self.total else ""
            print(f"\r{self.description} {self.count}{total} loss {loss:.4f}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            print(file=sys.stderr, flush=True)


class _Mean:
    """Running means of the total and of each task over the batches where that task had labels."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {"loss": 0.0, "hse": 0.0, "lcz": 0.0}
        self.counts: dict[str, int] = {"loss": 0, "hse": 0, "lcz": 0}

    def add(self, key: str, value: float | None) -> None:
        if value is not None:
            self.sums[key] += value
            self.counts[key] += 1

    def get(self, key: str) -> float:
        return self.sums[key] / self.counts[key] if self.counts[key] else math.nan


def _run_epoch(model: MultiTaskNet, criterion: MultiTaskLoss, loader: Iterable, device: torch.device,
               optimizer: torch.optim.Optimizer | None, config: TrainConfig, description: str) -> _Mean:
    """One pass; training when an optimizer is given (P2F then reads the reference HSE), else evaluation."""
    training = optimizer is not None
    model.train(training)
    criterion.train(training)
    means = _Mean()
    total = len(loader) if hasattr(loader, "__len__") else None  # type: ignore[arg-type]
    if config.max_steps_per_epoch is not None:
        total = min(total or config.max_steps_per_epoch, config.max_steps_per_epoch)
    bar = _Progress(total, description, config.progress)
    with torch.set_grad_enabled(training):
        for step, raw in enumerate(loader):
            if config.max_steps_per_epoch is not None and step >= config.max_steps_per_epoch:
                break
            batch = to_device(raw, device)
            reference = batch.get("hse") if training and model.config.use_p2f else None
            outputs = model(batch["image"], hse_reference=reference)
            parts = criterion(outputs, batch)
            if training:
                optimizer.zero_grad(set_to_none=True)
                parts.total.backward()
                optimizer.step()
            loss = float(parts.total.detach())
            if not math.isfinite(loss):
                raise FloatingPointError(f"{description}: the loss became {loss} at step {step}")
            means.add("loss", loss)
            means.add("hse", parts.hse)
            means.add("lcz", parts.lcz)
            bar.update(loss)
    bar.close()
    return means


def save_checkpoint(path: Path, model: MultiTaskNet, criterion: MultiTaskLoss, **extra: Any) -> None:
    """Weights plus the network config, so load_checkpoint rebuilds the model without other input."""
    torch.save({"network_config": asdict(model.config), "model": model.state_dict(),
                "loss": criterion.state_dict(), **extra}, path)


def config_from_dict(values: Mapping[str, Any]) -> NetworkConfig:
    values = dict(values)
    for key in ("tasks", "band_mean", "band_std"):
        if values.get(key) is not None:
            values[key] = tuple(values[key])
    return NetworkConfig(**values)


def load_checkpoint(path: str | Path, map_location: str = "cpu") -> tuple[MultiTaskNet, dict[str, Any]]:
    """The model (in eval mode) and the whole checkpoint dict."""
    checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    model = MultiTaskNet(config_from_dict(checkpoint["network_config"]))
    model.load_state_dict(checkpoint["model"])
    model.eval()
    return model, checkpoint


def fit(network_config: NetworkConfig | str, train_data: Dataset | DataLoader,
        val_data: Dataset | DataLoader | None, out_dir: str | Path, config: TrainConfig | None = None) -> FitResult:
    """Train until `epochs` or early stopping; writes best.pt, last.pt and log.csv into out_dir.

    Without validation data the training loss is monitored instead (say so when you report results).
    """
    config = config or TrainConfig()
    if isinstance(network_config, str):
        network_config = preset(network_config)
    seed_everything(config.seed)
    device = resolve_device(config.device)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = MultiTaskNet(network_config).to(device)
    criterion = MultiTaskLoss(network_config, config.lcz_class_weights).to(device)
    optimizer = torch.optim.NAdam(list(model.parameters()) + list(criterion.parameters()), lr=config.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_step_epochs, gamma=config.lr_gamma)
    train_loader = _loader(train_data, config, shuffle=True)
    val_loader = _loader(val_data, config, shuffle=False) if val_data is not None else None
    (out / "config.json").write_text(json.dumps({"network": asdict(network_config), "train": asdict(config)}, indent=2))
    log_path, best_path, last_path = out / "log.csv", out / "best.pt", out / "last.pt"
    stopper, history = EarlyStopping(config.patience), []
    if config.resume:
        history = _resume(last_path, log_path, network_config, model, criterion, optimizer, scheduler)
        for row in history:
            stopper.update(int(row["epoch"]), row["val_loss"])
        if history and not best_path.exists():
            raise FileNotFoundError(f"{best_path} is missing: the run in {out} cannot be resumed")
        if history and config.progress:
            print(f"resuming after epoch {len(history)} from {last_path}", file=sys.stderr, flush=True)
    with log_path.open("w", newline="") as log_file:
        writer = csv.DictWriter(log_file, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(history)
        log_file.flush()
        for epoch in range(len(history) + 1, config.epochs + 1):
            if stopper.should_stop:
                break
            _reseed(train_loader, epoch_seed(config.seed, epoch))
            started = time.perf_counter()
            lr = optimizer.param_groups[0]["lr"]
            train = _run_epoch(model, criterion, train_loader, device, optimizer, config,
                               f"epoch {epoch}/{config.epochs} train")
            val = (_run_epoch(model, criterion, val_loader, device, None, config, f"epoch {epoch}/{config.epochs} val")
                   if val_loader is not None else train)
            scheduler.step()
            row = {"epoch": epoch, "lr": lr, "train_loss": train.get("loss"), "train_hse": train.get("hse"),
                   "train_lcz": train.get("lcz"), "val_loss": val.get("loss"), "val_hse": val.get("hse"),
                   "val_lcz": val.get("lcz"), **criterion.sigmas(), "seconds": round(time.perf_counter() - started, 3)}
            writer.writerow(row)
            log_file.flush()
            history.append(row)
            monitored = row["val_loss"]
            save_checkpoint(last_path, model, criterion, epoch=epoch, val_loss=monitored,
                            optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict())
            if stopper.update(epoch, monitored):
                save_checkpoint(best_path, model, criterion, epoch=epoch, val_loss=monitored)
            if config.progress:
                print(f"epoch {epoch}: train {row['train_loss']:.4f} val {monitored:.4f} "
                      f"(best {stopper.best:.4f} @ {stopper.best_epoch}) lr {lr:.2e}", file=sys.stderr, flush=True)
    stopped = stopper.should_stop
    if not best_path.exists():  # every monitored loss was NaN (no labels at all): keep the last weights
        save_checkpoint(best_path, model, criterion, epoch=len(history), val_loss=math.nan)
    return FitResult(best_epoch=stopper.best_epoch, best_val_loss=stopper.best, epochs_run=len(history),
                     stopped_early=stopped, best_checkpoint=best_path, last_checkpoint=last_path, log=log_path,
                     history=history)


def _factory(spec: str) -> Any:
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"--data must look like 'package.module:function', not {spec!r}")
    return getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the multi-task HSE + LCZ network.")
    parser.add_argument("--preset", default="mtl_learned_cbam_p2f", help="a Table I configuration")
    parser.add_argument("--width", type=int, default=None, help="f, feature maps of the first layer")
    parser.add_argument("--data", required=True, help="module:function returning (train_dataset, val_dataset|None)")
    parser.add_argument("--out", required=True, type=Path)
    defaults = TrainConfig()
    for name in ("epochs", "batch_size", "patience", "seed", "num_workers"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    overrides = {"width": args.width} if args.width else {}
    network_config = preset(args.preset, **overrides)
    train_data, val_data = _factory(args.data)()
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, patience=args.patience, seed=args.seed,
                         num_workers=args.num_workers, lr=args.lr, device=args.device)
    result = fit(network_config, train_data, val_data, args.out, config)
    print(f"best epoch {result.best_epoch} val loss {result.best_val_loss:.4f}; {result.best_checkpoint}")


if __name__ == "__main__":
    main()
