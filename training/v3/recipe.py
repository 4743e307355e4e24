"""The one command that rebuilds model v3 from a folder of scenes: features, three seeds, export, gates.

    python -m training.v3.recipe --scenes runs/scenes --out runs/v3 [--seeds 0 1 2] [--ship-seed 0]

Every step is resumable: cached features are kept, a seed's training continues from its last epoch, and maps
already made by the evaluation are reused; so after an interruption the same command carries on. Writes
`<out>/seed_<s>/` (branch weights, log, ONNX, gate results) and `<out>/gates.md` (the table over seeds);
`--ship` copies the ship seed's ONNX to models/mtl_resnet20_v3.onnx and its branch weights to training/v3/.
Settings are HseRecipe's defaults (training/v3/train_hse.py) unless given here.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
from pathlib import Path

from training.v3 import export, features, gates_table, train_hse
from training.v3.evaluate import TEACHER, evaluate

REPO = Path(__file__).resolve().parents[2]
SHIPPED_ONNX = REPO / "models" / "mtl_resnet20_v3.onnx"
SHIPPED_BRANCH = Path(__file__).with_name("hse_branch.pt")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=Path, default=REPO / "runs/scenes")
    parser.add_argument("--out", type=Path, default=REPO / "runs/v3")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--ship-seed", type=int, default=0, help="the seed declared beforehand as the one shipped")
    parser.add_argument("--ship", action="store_true", help="copy the ship seed's model into models/ and training/v3/")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--no-eurosat", action="store_true")
    args = parser.parse_args(argv)
    features.main(["--scenes", str(args.scenes), "--out", str(args.out / "features")])
    runs = []
    for seed in args.seeds:
        folder = args.out / f"seed_{seed}"
        recipe = replace(train_hse.HseRecipe(), seed=seed)
        if args.epochs:
            recipe = replace(recipe, epochs=args.epochs)
        branch = train_hse.train(args.out / "features", folder, recipe, resume=True)
        model = export.export(branch, folder / "mtl_resnet20_v3.onnx")
        evaluate(str(model), folder / "eval", scenes=args.scenes, eurosat=not args.no_eurosat)
        runs.append(folder / "eval")
    teacher = args.out / "teacher_eval"
    evaluate(str(TEACHER), teacher, scenes=args.scenes, with_hse=False, eurosat=not args.no_eurosat)
    (args.out / "gates.md").write_text(gates_table.table(runs, teacher) + "\n", encoding="utf-8")
    print((args.out / "gates.md").read_text(encoding="utf-8"))
    if args.ship:
        shutil.copyfile(args.out / f"seed_{args.ship_seed}" / "mtl_resnet20_v3.onnx", SHIPPED_ONNX)
        shutil.copyfile(args.out / f"seed_{args.ship_seed}" / "hse_branch.pt", SHIPPED_BRANCH)
        print(f"shipped seed {args.ship_seed}: {SHIPPED_ONNX}, {SHIPPED_BRANCH}")


if __name__ == "__main__":
    main()
