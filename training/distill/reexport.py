"""Export a trained student again with the current exporter, keeping the shipped model's contract metadata.

Why: the exporter gained the contract's `embedding` output (training-area adaptation); the shipped student's
weights (training/distill/mtl_distilled.pt) did not change, and neither do its name, version, training text and
other metadata, which are read from the previous ONNX file.

    .venv/bin/python -m training.distill.reexport training/distill/mtl_distilled.pt models/mtl_distilled.onnx \
        [--uncertainty training/distill/uncertainty.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import onnx

from core.contract import COMMON_KEYS, DENSE_KEYS
from core.uncertainty import METADATA_KEY as UNCERTAINTY_KEY
from core.uncertainty import UncertaintyCalibration
from training.mtl.export import export_onnx
from training.mtl.train import load_checkpoint

#: Keys the exporter writes itself from the network; everything else is carried over.
_DERIVED = set(COMMON_KEYS + DENSE_KEYS) - {"name", "version", "description", "license", "training",
                                             "processing_level", "tile_size", "tile_overlap"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("model", type=Path, help="the ONNX file to replace; its metadata is kept")
    parser.add_argument("--uncertainty", type=Path,
                        help="an uncertainty calibration (training/measurements/uncertainty_calibration.py --write) "
                             "to embed")
    args = parser.parse_args(argv)
    previous = {p.key: p.value for p in onnx.load(str(args.model), load_external_data=False).metadata_props}
    model, _checkpoint = load_checkpoint(args.checkpoint)
    kept = {k: v for k, v in previous.items() if k not in _DERIVED and k not in ("architecture", "network")}
    if args.uncertainty:
        text = args.uncertainty.read_text(encoding="utf-8")
        UncertaintyCalibration.from_metadata(text, str(args.uncertainty))  # refuse a broken file here
        kept[UNCERTAINTY_KEY] = text
    export_onnx(model, args.model, name=kept.pop("name"), version=kept.pop("version"),
                description=kept.pop("description"), license=kept.pop("license"), training=kept.pop("training"),
                processing_level=kept.pop("processing_level"), tile_size=int(kept.pop("tile_size")),
                tile_overlap=int(kept.pop("tile_overlap")), **kept)
    print(f"reexport: wrote {args.model} with outputs lcz, hse, embedding")
    return 0


if __name__ == "__main__":
    sys.exit(main())
