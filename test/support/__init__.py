"""What several test folders share: data paths, tiny ONNX fixtures, rasters, the plugin under QGIS."""
