"""The multi-task network (training/mtl): all seven Table I configurations train, masks hold, loss falls.

Labels here are SYNTHETIC TEST LABELS derived from the sample crop by a fixed rule (water: B8 < 800 ->
LCZ G; NDVI > 0.4 -> LCZ A; else LCZ 2 and HSE 1). They only give the optimiser something learnable;
they are not ground truth of anything.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")


from core.bands import MODEL_BANDS  # noqa: E402
from core.lcz import LCZ_CLASS_COUNT  # noqa: E402
from support.training_data import RasterPatches, read_sample  # noqa: E402
from training.mtl.losses import MultiTaskLoss, hse_loss, lcz_loss  # noqa: E402
from training.mtl.network import PRESETS, SIZE_MULTIPLE, MultiTaskNet, NetworkConfig, preset  # noqa: E402
from training.mtl.train import EarlyStopping, TrainConfig, fit, load_checkpoint  # noqa: E402

torch.set_num_threads(1)



@pytest.fixture(scope="module")
def sample_array(sample_scene: Path) -> np.ndarray:
    return read_sample(sample_scene)


def batch_of(sample_array: np.ndarray, n: int = 2, size: int = 64, seed: int = 0) -> dict[str, torch.Tensor]:
    data = RasterPatches(sample_array, size=size, count=n, seed=seed)
    return torch.utils.data.default_collate([data[i] for i in range(n)])


def test_presets_are_the_seven_configurations_of_table_one():
    assert len(PRESETS) == 7
    switches = {(c.tasks, c.use_cbam, c.use_p2f, c.weighting if c.multi_task else "-") for c in PRESETS.values()}
    assert switches == {
        (("hse",), True, False, "-"), (("lcz",), True, False, "-"),
        (("hse", "lcz"), True, False, "equal"), (("hse", "lcz"), True, True, "equal"),
        (("hse", "lcz"), True, False, "learned"), (("hse", "lcz"), False, True, "learned"),
        (("hse", "lcz"), True, True, "learned"),
    }
    assert preset("mtl_equal_cbam", width=8).width == 8
    with pytest.raises(ValueError):
        NetworkConfig(tasks=("lcz",), use_p2f=True)
    with pytest.raises(ValueError):
        NetworkConfig(tasks=("hse",), weighting="learned")


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_configuration_runs_forward_and_backward(name, sample_array):
    torch.manual_seed(0)
    config = PRESETS[name]
    model, criterion = MultiTaskNet(config), MultiTaskLoss(config)
    batch = batch_of(sample_array)
    outputs = model(batch["image"], hse_reference=batch["hse"] if config.use_p2f else None)
    assert set(outputs) == set(config.tasks)
    if config.has_hse:
        assert outputs["hse"].shape == (2, 1, 32, 32)
        assert float(outputs["hse"].detach().min()) >= 0 and float(outputs["hse"].detach().max()) <= 1
    if config.has_lcz:
        assert outputs["lcz"].shape == (2, LCZ_CLASS_COUNT, 32, 32)
        torch.testing.assert_close(outputs["lcz"].sum(1), torch.ones(2, 32, 32))
    parts = criterion(outputs, batch)
    assert math.isfinite(float(parts.total.detach()))
    parts.total.backward()
    first = model.block1[0][0].weight.grad
    assert first is not None and torch.isfinite(first).all() and first.abs().sum() > 0
    for p in model.parameters():
        assert p.grad is None or torch.isfinite(p.grad).all()
    if config.has_hse:
        assert model.hse_branch.head.weight.grad.abs().sum() > 0
    if config.has_lcz:
        assert model.lcz_branch.head_final.weight.grad.abs().sum() > 0
    if config.use_p2f:
        assert model.lcz_branch.head_p2f.weight.grad.abs().sum() > 0
    if config.use_cbam:
        branch = model.hse_branch if config.has_hse else model.lcz_branch
        assert branch.attention[1].conv.weight.grad.abs().sum() > 0
    if config.weighting == "learned":
        assert criterion.s_hse.grad is not None and criterion.s_hse.grad != 0
        assert criterion.s_lcz.grad is not None and criterion.s_lcz.grad != 0


def test_input_size_must_be_a_multiple():
    model = MultiTaskNet(PRESETS["stl_lcz"])
    with pytest.raises(ValueError, match=str(SIZE_MULTIPLE)):
        model(torch.zeros(1, len(MODEL_BANDS), 60, 64))


@pytest.mark.parametrize("name", ["mtl_learned_cbam_p2f", "mtl_equal_cbam"])
def test_a_batch_with_only_lcz_labels_trains_only_the_lcz_branch(name, sample_array):
    torch.manual_seed(0)
    config = PRESETS[name]
    model, criterion = MultiTaskNet(config), MultiTaskLoss(config)
    batch = batch_of(sample_array)
    batch["hse"] = torch.full_like(batch["hse"], float("nan"))
    outputs = model(batch["image"], hse_reference=batch["hse"] if config.use_p2f else None)
    parts = criterion(outputs, batch)
    assert parts.hse is None and parts.lcz is not None and math.isfinite(float(parts.total.detach()))
    parts.total.backward()
    for p in model.hse_branch.parameters():
        assert p.grad is None or float(p.grad.abs().sum()) == 0
    assert model.lcz_branch.head_final.weight.grad.abs().sum() > 0
    for p in model.parameters():
        assert p.grad is None or torch.isfinite(p.grad).all()
    if criterion.s_hse is not None:
        assert criterion.s_hse.grad is None or float(criterion.s_hse.grad) == 0
        assert float(criterion.s_lcz.grad) != 0


def test_masks_select_pixels_and_tasks(sample_array):
    prediction = torch.full((1, 1, 4, 4), 0.5)
    target = torch.full((1, 1, 4, 4), float("nan"))
    target[0, 0, 0, 0] = 1.0
    assert float(hse_loss(prediction, target)) == pytest.approx(math.e * 0.5)
    assert float(hse_loss(prediction, torch.full_like(target, float("nan")))) == 0.0
    explicit = torch.zeros(1, 4, 4, dtype=torch.bool)
    assert float(hse_loss(prediction, target.nan_to_num(0.0), explicit)) == 0.0

    probabilities = torch.softmax(torch.randn(2, LCZ_CLASS_COUNT, 8, 8), dim=1)
    patch_label = torch.zeros(2, LCZ_CLASS_COUNT, 1, 1)
    patch_label[:, 3] = 1.0
    expected = -torch.log(probabilities.mean(dim=(2, 3))[:, 3]).mean()
    torch.testing.assert_close(lcz_loss(probabilities, patch_label, torch.ones(2, 1, 1, dtype=torch.bool)), expected)
    only_first = torch.tensor([True, False]).view(2, 1, 1)
    torch.testing.assert_close(lcz_loss(probabilities, patch_label, only_first),
                               -torch.log(probabilities[0].mean(dim=(1, 2))[3]))
    full_label = torch.softmax(torch.randn(2, LCZ_CLASS_COUNT, 16, 16), dim=1)  # distributional, finer grid
    assert math.isfinite(float(lcz_loss(probabilities, full_label, torch.ones(2, 16, 16, dtype=torch.bool))))
    assert float(lcz_loss(probabilities, patch_label, torch.zeros(2, 1, 1, dtype=torch.bool))) == 0.0

    config = PRESETS["mtl_learned_cbam"]
    criterion = MultiTaskLoss(config)
    outputs = {"hse": torch.full((2, 1, 8, 8), 0.5, requires_grad=True), "lcz": probabilities.requires_grad_()}
    nothing = {"hse": torch.full((2, 1, 8, 8), float("nan")), "lcz": patch_label,
               "lcz_mask": torch.zeros(2, 1, 1, dtype=torch.bool)}
    parts = criterion(outputs, nothing)
    assert parts.hse is None and parts.lcz is None and float(parts.total.detach()) == 0.0
    parts.total.backward()


def test_learned_weighting_formula():
    config = PRESETS["mtl_learned_cbam"]
    criterion = MultiTaskLoss(config)
    with torch.no_grad():
        criterion.s_hse.fill_(math.log(2.0**2))  # sigma_hse = 2
        criterion.s_lcz.fill_(math.log(0.5**2))  # sigma_lcz = 0.5
    prediction = torch.full((1, 1, 2, 2), 0.25)
    target = torch.zeros(1, 1, 2, 2)
    probabilities = torch.softmax(torch.randn(1, LCZ_CLASS_COUNT, 2, 2), dim=1)
    label = torch.zeros(1, LCZ_CLASS_COUNT, 1, 1)
    label[0, 5] = 1.0
    batch = {"hse": target, "lcz": label, "lcz_mask": torch.ones(1, 1, 1, dtype=torch.bool)}
    parts = criterion({"hse": prediction, "lcz": probabilities}, batch)
    l_hse, l_lcz = 0.25, float(-torch.log(probabilities.mean(dim=(2, 3))[0, 5]))
    expected = l_hse / (2 * 4.0) + l_lcz / 0.25 + math.log(2.0) + math.log(0.5)
    assert float(parts.total.detach()) == pytest.approx(expected, rel=1e-5)
    assert criterion.sigmas() == pytest.approx({"sigma_hse": 2.0, "sigma_lcz": 0.5})


def test_training_steps_on_the_real_sample_lower_the_loss(sample_array):
    """20 NAdam steps on 64x64 crops of the real scene with synthetic test labels."""
    torch.manual_seed(0)
    config = preset("mtl_learned_cbam_p2f")
    model, criterion = MultiTaskNet(config), MultiTaskLoss(config)
    optimizer = torch.optim.NAdam(list(model.parameters()) + list(criterion.parameters()), lr=0.002)
    fixed = batch_of(sample_array, n=4, seed=99)

    def evaluate() -> float:
        model.eval()
        with torch.no_grad():
            value = float(criterion(model(fixed["image"]), fixed).total)
        model.train()
        return value

    before = evaluate()
    data = RasterPatches(sample_array, count=160, seed=1)
    loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    for step, batch in enumerate(loader):
        if step == 20:
            break
        parts = criterion(model(batch["image"], hse_reference=batch["hse"]), batch)
        optimizer.zero_grad()
        parts.total.backward()
        optimizer.step()
    after = evaluate()
    print(f"loss before {before:.3f} after {after:.3f}")
    assert after < before - 0.2, (before, after)


def test_early_stopping_waits_patience_epochs():
    stopper = EarlyStopping(patience=2)
    improved = [stopper.update(e, v) for e, v in enumerate([3.0, 2.0, 2.5, float("nan"), 1.0], start=1)]
    assert improved == [True, True, False, False, True]
    stopper.update(6, 1.5)
    assert not stopper.should_stop
    stopper.update(7, 1.0)
    assert stopper.should_stop and stopper.best_epoch == 5


def test_fit_writes_log_and_checkpoints(sample_array, tmp_path):
    train = RasterPatches(sample_array, count=8, seed=2)
    val = RasterPatches(sample_array, count=4, seed=3)
    config = TrainConfig(epochs=2, batch_size=4, max_steps_per_epoch=2, progress=False)
    result = fit(preset("mtl_learned_cbam_p2f", width=8), train, val, tmp_path / "run", config)
    assert result.epochs_run == 2 and result.best_epoch in (1, 2)
    rows = list(csv.DictReader(result.log.open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    for key in ("train_loss", "train_hse", "train_lcz", "val_loss", "val_hse", "val_lcz", "sigma_hse", "sigma_lcz"):
        assert math.isfinite(float(rows[-1][key])), key
    assert float(rows[-1]["sigma_hse"]) != 1.0  # the learned sigmas moved
    model, checkpoint = load_checkpoint(result.best_checkpoint)
    assert model.config == preset("mtl_learned_cbam_p2f", width=8) and checkpoint["epoch"] == result.best_epoch
    assert result.last_checkpoint.exists()


def test_a_resumed_run_repeats_the_uninterrupted_one(sample_array, tmp_path):
    """Stopped after epoch 2 of 3 and resumed: same log and same weights as one run of 3 epochs."""
    train = RasterPatches(sample_array, count=8, seed=2)
    val = RasterPatches(sample_array, count=4, seed=3)
    network = preset("mtl_learned_cbam_p2f", width=8)
    settings = {"batch_size": 4, "max_steps_per_epoch": 2, "progress": False, "lr_step_epochs": 1}
    whole = fit(network, train, val, tmp_path / "whole", TrainConfig(epochs=3, **settings))
    fit(network, train, val, tmp_path / "parts", TrainConfig(epochs=2, **settings))
    resumed = fit(network, train, val, tmp_path / "parts", TrainConfig(epochs=3, resume=True, **settings))
    assert [int(r["epoch"]) for r in csv.DictReader(resumed.log.open())] == [1, 2, 3]
    assert [r["train_loss"] for r in resumed.history] == pytest.approx([r["train_loss"] for r in whole.history])
    assert [r["lr"] for r in resumed.history] == pytest.approx([0.002, 0.0005, 0.000125])
    a, _ = load_checkpoint(whole.last_checkpoint)
    b, _ = load_checkpoint(resumed.last_checkpoint)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.allclose(x.float(), y.float(), atol=1e-6), name


def test_resume_refuses_another_network(sample_array, tmp_path):
    train = RasterPatches(sample_array, count=4, seed=2)
    settings = {"batch_size": 4, "max_steps_per_epoch": 1, "progress": False}
    fit(preset("stl_lcz", width=8), train, None, tmp_path / "run", TrainConfig(epochs=1, **settings))
    with pytest.raises(ValueError, match="another network configuration"):
        fit(preset("stl_lcz", width=12), train, None, tmp_path / "run", TrainConfig(epochs=2, resume=True, **settings))


def test_fit_steps_the_learning_rate_every_two_epochs(sample_array, tmp_path):
    train = RasterPatches(sample_array, count=4, seed=4)
    config = TrainConfig(epochs=5, batch_size=4, patience=10, max_steps_per_epoch=1, progress=False)
    result = fit("stl_lcz", train, None, tmp_path / "run", config)
    lrs = [float(r["lr"]) for r in result.history]
    assert lrs == pytest.approx([0.002, 0.002, 0.0005, 0.0005, 0.000125])


class So2SatLike(torch.utils.data.Dataset):
    """32x32 crops with one (synthetic) LCZ label per patch and no HSE, shaped like So2Sat LCZ42 samples."""

    def __init__(self, image: np.ndarray, count: int):
        self.patches = RasterPatches(image, size=32, count=count, seed=6)

    def __len__(self) -> int:
        return len(self.patches)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        sample = self.patches[index]
        return {"image": sample["image"], "hse": torch.full((1, 16, 16), float("nan")),
                "lcz": sample["lcz"].mean(dim=(1, 2), keepdim=True), "lcz_mask": torch.ones(1, 1, dtype=torch.bool)}


def test_patch_labels_without_hse_train_a_multi_task_model(sample_array, tmp_path):
    config = TrainConfig(epochs=1, batch_size=4, max_steps_per_epoch=2, progress=False)
    result = fit(preset("mtl_learned_cbam_p2f", width=8), So2SatLike(sample_array, 8), None, tmp_path / "run", config)
    row = result.history[0]
    assert math.isfinite(row["train_lcz"]) and math.isnan(row["train_hse"])
    assert row["sigma_hse"] == 1.0 and row["sigma_lcz"] != 1.0  # only the LCZ uncertainty moved


def test_so2sat_reader_feeds_fit_and_embeddings_come_out(sample_array, tmp_path):
    """A tiny file in the So2Sat LCZ42 layout (reflectance, NHWC, one-hot; SYNTHETIC labels) -> data_h5 -> fit."""
    h5py = pytest.importorskip("h5py")
    from training.mtl.data_h5 import So2SatTorchDataset

    patches = So2SatLike(sample_array, 6)
    images = np.stack([patches[i]["image"].numpy().transpose(1, 2, 0) / 10000.0 for i in range(6)])
    labels = np.stack([np.eye(LCZ_CLASS_COUNT)[int(patches[i]["lcz"][:, 0, 0].argmax())] for i in range(6)])
    path = tmp_path / "tiny_so2sat.h5"
    with h5py.File(path, "w") as f:
        f["sen2"], f["label"] = images.astype(np.float64), labels.astype(np.float64)
    dataset = So2SatTorchDataset(path)
    config = TrainConfig(epochs=1, batch_size=3, progress=False)
    result = fit(preset("mtl_equal_cbam", width=8), dataset, dataset, tmp_path / "run", config)
    assert math.isfinite(result.history[0]["val_lcz"]) and math.isnan(result.history[0]["val_hse"])
    model, _ = load_checkpoint(result.best_checkpoint)
    with torch.no_grad():
        embedding = model.embed(dataset[0]["image"][None])
    assert embedding.shape == (1, 4 * 8) and torch.isfinite(embedding).all()
    dataset.close()


def test_class_balance_weights_lift_rare_classes_and_keep_the_loss_scale():
    from training.mtl.losses import class_balance_weights

    shares = np.zeros(17)
    shares[13], shares[10], shares[7] = 0.6, 0.01, 0.39  # D common, A rare, 8 in between; the rest absent
    w = np.array(class_balance_weights(shares, 0.5))
    assert w[10] > w[7] > w[13]
    assert w[10] / w[13] == pytest.approx((0.6 / 0.01) ** 0.5)
    assert (shares * w).sum() == pytest.approx(1.0)
    assert w[0] == pytest.approx(10 * w[13])  # absent classes get the cap
    assert class_balance_weights(shares, 0.0)[13] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        class_balance_weights(np.zeros(17), 0.5)


def test_weighted_lcz_loss_counts_rare_classes_more():
    target = torch.zeros(2, 17, 1, 1)
    target[0, 10], target[1, 13] = 1.0, 1.0  # one pixel of A, one of D
    probabilities = torch.full((2, 17, 1, 1), 1 / 17)
    weights = torch.ones(17)
    weights[10] = 4.0
    plain = float(lcz_loss(probabilities, target))
    weighted = float(lcz_loss(probabilities, target, class_weights=weights))
    assert weighted == pytest.approx(plain * (4 + 1) / 2, rel=1e-5)
    criterion = MultiTaskLoss(preset("stl_lcz"), tuple(weights.tolist()))
    assert "lcz_class_weights" not in criterion.state_dict()  # checkpoints stay loadable without it
    parts = criterion({"lcz": probabilities.expand(2, 17, 2, 2)},
                      {"lcz": target, "lcz_mask": torch.ones(2, 1, 1, dtype=torch.bool)})
    assert parts.lcz == pytest.approx(weighted, rel=1e-5)
