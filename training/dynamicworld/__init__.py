"""Google Dynamic World land-cover model: ONNX conversion (convert.py, needs .venv-dw) and numpy inference (infer.py)."""
