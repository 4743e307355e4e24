"""PyTorch training pipeline for the multi-task HSE + LCZ network (Qiu et al., GRSL 2022).

Never imported by the installed plugin: the plugin only runs the ONNX files that export.py writes.
See docs/TRAINING.md for the architecture, the batch convention and how to train and export.
"""
