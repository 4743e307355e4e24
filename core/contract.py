"""The model contract: what an ONNX file must say about itself so the engine needs no other settings.

The keys live in the ONNX ``metadata_props`` (onnxruntime's ``custom_metadata_map``). They are defined
here once and used by the engine (reading), the So2Sat converter and the training export (writing).
docs/MODEL_CONTRACT.md explains each key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .bands import SENTINEL2_BANDS
from .errors import EngineError
from .lcz import LCZ_CLASS_COUNT
from .paths import MODEL_CONTRACT_DOC
from .products import LCZ_CELL_M, MODEL_EMBEDDING, MODEL_HSE, MODEL_LCZ

CONTRACT_FORMAT = "hselcz-1"
INPUT_NAME = "image"

KIND_DENSE = "dense"
KIND_PATCH = "patch"
KINDS = (KIND_DENSE, KIND_PATCH)

# The products a model output may hold (the keys are defined with the product table, core.products).
PRODUCT_LCZ = MODEL_LCZ  # class probabilities, 17 channels
PRODUCT_HSE = MODEL_HSE  # settlement density 0..1, 1 channel
PRODUCT_EMBEDDING = MODEL_EMBEDDING  # optional features for uncertainty
PRODUCTS = (PRODUCT_LCZ, PRODUCT_HSE, PRODUCT_EMBEDDING)

#: Values of ``input_unit``: what the graph's ``image`` input expects. Models should normalise inside
#: the graph and take reflectance x 10000 (the digital numbers of Sentinel-2 products, baseline offset removed).
UNIT_REFLECTANCE_X10000 = "reflectance_x10000"
#: Sentinel-2 digital numbers per unit of reflectance: the one definition of the input scaling.
DN_PER_REFLECTANCE = 10000.0
UNIT_REFLECTANCE = "reflectance"
INPUT_UNITS = (UNIT_REFLECTANCE_X10000, UNIT_REFLECTANCE)

LEVELS = ("L1C", "L2A", "any")

COMMON_KEYS = (
    "format", "name", "version", "description", "license", "training", "kind", "bands", "gsd",
    "processing_level", "input_unit", "outputs", "lcz_classes",
)
DENSE_KEYS = ("tile_size", "tile_overlap", "size_multiple")
PATCH_KEYS = ("patch_size",)


@dataclass(frozen=True)
class OutputSpec:
    """One output tensor: its ONNX name, the product it holds, and its stride on the 10 m input grid."""

    name: str
    product: str
    stride: int = 1


@dataclass(frozen=True)
class ModelContract:
    name: str
    version: str
    description: str
    license: str
    training: str
    kind: str
    bands: tuple[str, ...]
    gsd: float
    processing_level: str
    input_unit: str
    outputs: tuple[OutputSpec, ...]
    lcz_classes: tuple[dict[str, Any], ...]
    tile_size: int = 0
    tile_overlap: int = 0
    size_multiple: int = 1
    patch_size: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def output_for(self, product: str) -> OutputSpec | None:
        return next((o for o in self.outputs if o.product == product), None)

    @property
    def has_hse(self) -> bool:
        return self.output_for(PRODUCT_HSE) is not None


def build_metadata(**values: Any) -> dict[str, str]:
    """Serialise contract values into ONNX metadata strings (lists/dicts as JSON), checking them."""
    metadata = {"format": CONTRACT_FORMAT}
    for key, value in values.items():
        metadata[key] = value if isinstance(value, str) else json.dumps(value)
    parse_metadata(metadata, source="(metadata being built)")
    return metadata


def _json(metadata: dict[str, str], key: str, source: str) -> Any:
    try:
        return json.loads(metadata[key])
    except (json.JSONDecodeError, TypeError) as exc:
        raise EngineError(f"{source}: metadata key '{key}' is not valid JSON: {metadata[key]!r}") from exc


def _int(metadata: dict[str, str], key: str, source: str, minimum: int) -> int:
    try:
        value = int(metadata[key])
    except (ValueError, TypeError) as exc:
        raise EngineError(f"{source}: metadata key '{key}' must be an integer, not {metadata[key]!r}") from exc
    if value < minimum:
        raise EngineError(f"{source}: metadata key '{key}' must be at least {minimum}, not {value}")
    return value


def parse_metadata(metadata: dict[str, str], source: str) -> ModelContract:
    """Validate the contract metadata of a model and return it typed; errors name the missing keys."""
    kind = _checked_kind(metadata, source)
    bands = _json(metadata, "bands", source)
    if not isinstance(bands, list) or not bands or any(b not in SENTINEL2_BANDS for b in bands):
        raise EngineError(f"{source}: 'bands' must be a JSON list of Sentinel-2 band names, not {metadata['bands']!r}")
    if metadata["processing_level"] not in LEVELS:
        raise EngineError(f"{source}: 'processing_level' must be one of {LEVELS}")
    if metadata["input_unit"] not in INPUT_UNITS:
        raise EngineError(f"{source}: 'input_unit' must be one of {INPUT_UNITS}")
    outputs = _outputs(metadata, source)
    classes = _json(metadata, "lcz_classes", source)
    if not isinstance(classes, list) or len(classes) != LCZ_CLASS_COUNT:
        raise EngineError(f"{source}: 'lcz_classes' must list {LCZ_CLASS_COUNT} classes")
    try:
        gsd = float(metadata["gsd"])
    except ValueError as exc:
        raise EngineError(f"{source}: 'gsd' must be a number of metres") from exc
    values: dict[str, Any] = dict(
        name=metadata["name"], version=metadata["version"], description=metadata["description"],
        license=metadata["license"], training=metadata["training"], kind=kind, bands=tuple(bands), gsd=gsd,
        processing_level=metadata["processing_level"], input_unit=metadata["input_unit"], outputs=outputs,
        lcz_classes=tuple(classes),
        extra={k: v for k, v in metadata.items() if k not in COMMON_KEYS + DENSE_KEYS + PATCH_KEYS},
    )
    if kind == KIND_DENSE:
        values.update(_dense_windows(metadata, outputs, source))
    else:
        values["patch_size"] = _int(metadata, "patch_size", source, 1)
        _check_patch_strides(outputs, gsd, source)
    return ModelContract(**values)


def _checked_kind(metadata: dict[str, str], source: str) -> str:
    """The model kind, once the metadata is known to be a contract of this plugin's format with every key."""
    if "format" not in metadata and "kind" not in metadata:
        raise EngineError(
            f"{source} is an ONNX model but not one made for this plugin: it carries none of the contract "
            f"metadata ({', '.join(COMMON_KEYS)}). See {MODEL_CONTRACT_DOC} for how to export a model."
        )
    kind = metadata.get("kind", "")
    required = COMMON_KEYS + (DENSE_KEYS if kind == KIND_DENSE else PATCH_KEYS if kind == KIND_PATCH else ())
    missing = [key for key in required if key not in metadata]
    if missing:
        raise EngineError(
            f"{source} lacks the model contract metadata key(s): {', '.join(missing)}. "
            f"See {MODEL_CONTRACT_DOC}."
        )
    if metadata["format"] != CONTRACT_FORMAT:
        raise EngineError(
            f"{source} uses contract format {metadata['format']!r}; this plugin reads {CONTRACT_FORMAT!r}."
        )
    if kind not in KINDS:
        raise EngineError(f"{source}: 'kind' must be one of {KINDS}, not {kind!r}")
    return kind


def _outputs(metadata: dict[str, str], source: str) -> tuple[OutputSpec, ...]:
    """The declared outputs: an LCZ output among them, every product known."""
    raw_outputs = _json(metadata, "outputs", source)
    try:
        outputs = tuple(
            OutputSpec(name=str(o["name"]), product=str(o["product"]), stride=int(o.get("stride", 1)))
            for o in raw_outputs
        )
    except (TypeError, KeyError, ValueError) as exc:
        raise EngineError(f"{source}: 'outputs' must be a JSON list of {{name, product, stride}}") from exc
    if not any(o.product == PRODUCT_LCZ for o in outputs):
        raise EngineError(f"{source}: 'outputs' declares no '{PRODUCT_LCZ}' output")
    unknown = [o.product for o in outputs if o.product not in PRODUCTS]
    if unknown:
        raise EngineError(f"{source}: unknown output product(s) {unknown}; known: {PRODUCTS}")
    return outputs


def _dense_windows(metadata: dict[str, str], outputs: tuple[OutputSpec, ...], source: str) -> dict[str, int]:
    """tile_size, tile_overlap and size_multiple of a dense model, consistent with each other and the strides."""
    windows = {key: _int(metadata, key, source, minimum)
               for key, minimum in (("tile_size", 1), ("tile_overlap", 0), ("size_multiple", 1))}
    if windows["tile_overlap"] >= windows["tile_size"]:
        raise EngineError(f"{source}: 'tile_overlap' must be smaller than 'tile_size'")
    if windows["tile_size"] % windows["size_multiple"]:
        raise EngineError(f"{source}: 'tile_size' must be a multiple of 'size_multiple'")
    for o in outputs:
        if o.stride < 1 or windows["tile_size"] % o.stride:
            raise EngineError(f"{source}: the stride of output '{o.name}' must divide 'tile_size'")
    return windows


def _check_patch_strides(outputs: tuple[OutputSpec, ...], gsd: float, source: str) -> None:
    """A patch model's per-cell HSE block must tile the 100 m cell."""
    cell = round(LCZ_CELL_M / gsd)
    for o in outputs:
        if o.product == PRODUCT_HSE and (o.stride < 1 or cell % o.stride):
            raise EngineError(f"{source}: the stride of the patch model's HSE output '{o.name}' must divide the "
                              f"{LCZ_CELL_M:g} m cell ({cell} pixels at {gsd:g} m), not {o.stride}.")
