"""Google Dynamic World land-cover model: ONNX conversion (convert.py, needs .venv-dw), numpy inference (infer.py)."""
