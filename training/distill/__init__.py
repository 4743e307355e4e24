"""Distillation of the multi-task HSE + LCZ network from the So2Sat ResNet20 teacher (docs/DISTILLATION.md).

Never imported by the installed plugin.
"""
