"""Model v3: the multi-task network on the So2Sat ResNet20 backbone (issue 18, docs/MODEL_V3.md)."""
