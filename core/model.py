"""Opening a model file: is it ONNX, does it carry the contract, do its tensors match what it declares."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from .contract import INPUT_NAME, KIND_PATCH, ModelContract, parse_metadata
from .errors import EngineError
from .paths import MODELS_DIR
from .runtime import create_session, import_onnxruntime

#: The models shipped in models/ (each with a card models/<stem>.md). Front ends offer them by index, and an index
#: keeps its meaning so that saved Processing models and scripts keep their choice: 0 the So2Sat ResNet20 (LCZ
#: only), 1 the multi-task HSE + LCZ model (model v3 since 2026-12-04; the distilled v1/v2 students before).
BUNDLED_MODEL_FILES = ("so2sat_resnet20_lcz.onnx", "mtl_resnet20_v3.onnx")
#: The default: model v3, both layers, its LCZ the So2Sat ResNet20's own (models/mtl_resnet20_v3.md).
DEFAULT_MODEL_INDEX = 1
DEFAULT_MODEL_PATH = MODELS_DIR / BUNDLED_MODEL_FILES[DEFAULT_MODEL_INDEX]


def bundled_model_path(index: int) -> Path:
    """The file of the index-th bundled model (an IndexError names the valid range)."""
    if not 0 <= index < len(BUNDLED_MODEL_FILES):
        raise IndexError(f"bundled model {index} does not exist (0..{len(BUNDLED_MODEL_FILES) - 1})")
    return MODELS_DIR / BUNDLED_MODEL_FILES[index]


@dataclass
class LoadedModel:
    path: Path
    contract: ModelContract
    session: object  # onnxruntime.InferenceSession
    provider: str

    def run(self, batch, products: Collection[str] | None = None):
        """Run one batch (N, C, H, W float32) and return {product: array}, for `products` only when given (an
        output nobody needs, such as a large embedding, is then not computed)."""
        outputs = [o for o in self.contract.outputs if products is None or o.product in products]
        results = self.session.run([o.name for o in outputs], {INPUT_NAME: batch})
        return {o.product: r for o, r in zip(outputs, results, strict=True)}

    def channels(self, product: str) -> int | None:
        """The channel count of an output as the graph declares it (None when dynamic or absent)."""
        spec = self.contract.output_for(product)
        if spec is None:
            return None
        shape = next(o.shape for o in self.session.get_outputs() if o.name == spec.name)
        return shape[1] if len(shape) > 1 and isinstance(shape[1], int) else None


def _resolve(path: str | Path | None) -> Path:
    resolved = Path(path) if path else DEFAULT_MODEL_PATH
    if not resolved.is_file():
        where = "The bundled default model" if not path else "The model file"
        raise EngineError(f"{where} {resolved} does not exist or is not a file.")
    return resolved


def _open_session(path: Path, device: str, log: Callable[[str], None] | None):
    ort = import_onnxruntime()
    data = path.read_bytes()
    try:
        return create_session(data, device, log)
    except EngineError:
        raise
    except Exception as exc:
        kind = type(exc).__name__
        if "Protobuf" in kind or "protobuf" in str(exc).lower() or "INVALID_PROTOBUF" in str(exc):
            raise EngineError(f"{path} is not an ONNX model (onnxruntime could not parse it).") from exc
        raise EngineError(f"onnxruntime {ort.__version__} could not load {path}: {exc}") from exc


def _check_tensors(session, contract: ModelContract, path: Path) -> None:
    inputs = {i.name: i for i in session.get_inputs()}
    if INPUT_NAME not in inputs:
        raise EngineError(f"{path}: the model has no input named '{INPUT_NAME}' (it has {', '.join(inputs)}).")
    shape = inputs[INPUT_NAME].shape
    if len(shape) != 4:
        raise EngineError(f"{path}: input '{INPUT_NAME}' must be NCHW (rank 4), not {shape}.")
    channels = shape[1]
    if isinstance(channels, int) and channels != len(contract.bands):
        raise EngineError(f"{path}: input has {channels} channels but the metadata lists {len(contract.bands)} bands.")
    outputs = {o.name for o in session.get_outputs()}
    missing = [o.name for o in contract.outputs if o.name not in outputs]
    if missing:
        raise EngineError(f"{path}: outputs {missing} declared in the metadata do not exist in the graph.")
    if contract.kind == KIND_PATCH:
        for side in shape[2:]:
            if isinstance(side, int) and side != contract.patch_size:
                raise EngineError(f"{path}: input side {side} differs from patch_size {contract.patch_size}.")


def load_model(path: str | Path | None, device: str = "auto", log: Callable[[str], None] | None = None) -> LoadedModel:
    """Load and validate a model; the error says what is wrong with the file in plain words."""
    resolved = _resolve(path)
    session, provider = _open_session(resolved, device, log)
    metadata = dict(session.get_modelmeta().custom_metadata_map)
    contract = parse_metadata(metadata, source=str(resolved))
    _check_tensors(session, contract, resolved)
    return LoadedModel(path=resolved, contract=contract, session=session, provider=provider)
