"""Distillation of the multi-task HSE + LCZ network from the So2Sat ResNet20 teacher (docs/DISTILLATION.md).

Never imported by the installed plugin.
"""

#: The configuration that is exported as the student (models/mtl_distilled.onnx); the others are baselines.
STUDENT = "mtl_learned_cbam_p2f"
