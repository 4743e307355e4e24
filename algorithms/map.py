"""hselcz:map: a Sentinel-2 scene (and more dates of it) mapped by core.multidate.map_dates into styled layers.

The algorithm holds no numerics: the mapping layer (mapping.py) reads the parameters, the base (base.py) runs the
engine with the feedback wired and its errors turned into QGIS errors, and the layers are named and styled on load.
"""

from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingContext, QgsProcessingFeedback

from ..core.model import BUNDLED_MODEL_FILES, DEFAULT_MODEL_PATH
from .mapping import MappingAlgorithm


class MapAlgorithm(MappingAlgorithm):
    """Map settlement density (HSE) and local climate zones (LCZ) from one Sentinel-2 raster."""

    def name(self) -> str:
        return "map"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Map settlement density and local climate zones")

    def shortDescription(self) -> str:  # noqa: N802
        return self.tr("Maps local climate zones (100 m) and settlement density (20 m) from a Sentinel-2 raster.")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "<p>Runs a convolutional neural network (an ONNX model, through onnxruntime) over a Sentinel-2 "
            "scene and writes the 17 local climate zones (LCZ) of Stewart and Oke on a 100 m grid and, when "
            "the model predicts it, the density of human settlement (HSE: with the bundled model, the share of each "
            "20 m pixel covered by buildings, 0 to 1) on a 20 m grid. Outputs are GeoTIFF files; loaded layers get "
            "the LCZ and HSE styles of the plugin.</p>"
            "<h3>Parameters</h3>"
            "<p><b>Sentinel-2 raster</b>: a band-stacked GeoTIFF or VRT, or a Sentinel-2 L1C/L2A product "
            "opened through GDAL. It must hold the bands the model needs (usually the ten 10 m and 20 m "
            "bands B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12) as reflectance x 10000.</p>"
            "<p><b>Bundled model</b>: used when no model file is given. The default, {default}, is the multi-task "
            "model v3: its local climate zones are those of the So2Sat LCZ42 ResNet20 classifier (the same network, "
            "unchanged), and a branch on the same network maps the settlement density as building cover, trained on "
            "real building footprints of Pisa. The So2Sat ResNet20 alone ({lcz_only}) maps local climate zones "
            "only. Both have a model card in the plugin's models folder.</p>"
            "<p><b>Model file</b>: an ONNX file that follows the plugin's model contract; it replaces the "
            "bundled model.</p>"
            "<p><b>Band names</b>: how to find the bands. Leave it empty when the raster's bands are named "
            "(band descriptions or metadata such as B2, B02 or a wavelength), which is how GDAL reads "
            "Sentinel-2 products. Otherwise either list the band names in raster band order, using - for a "
            "band to skip, e.g. <code>B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12</code> or "
            "<code>-,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12</code> for a 13-band stack, or give pairs of name "
            "and band number, e.g. <code>B2=1,B3=2,B4=3,B8=7</code>.</p>"
            "<p><b>Device</b>: where onnxruntime runs the model. auto uses the first available accelerator "
            "(CUDA, DirectML, CoreML) and otherwise the CPU; naming a device that is not available is an "
            "error, never a silent fallback. The log reports the execution provider really used.</p>"
            "<h3>Outputs</h3>"
            "<p><b>Local climate zones</b>: Byte GeoTIFF on a 100 m grid, values 1 to 17 (1-10 built types, "
            "A-G as 11-17) with a colour table and class names; 0 is nodata.</p>"
            "<p><b>Settlement density (HSE)</b>: Float32 GeoTIFF, 0 to 1 (the bundled model: the share of the "
            "pixel covered by buildings), on a 20 m grid; only written when "
            "the model has an HSE output (the log says so otherwise).</p>"
            "<p><b>LCZ class probabilities</b> (optional): 17-band Float32 GeoTIFF on the 100 m grid, one band "
            "per class.</p>"
            "<p>The model runs through onnxruntime, which must be installed in the Python that QGIS uses; "
            "without it the algorithm stops and explains how to install it.</p>"
        ).format(default=DEFAULT_MODEL_PATH.name, lcz_only=BUNDLED_MODEL_FILES[0]) + self.tr(
            "<h3>Several dates</h3><p><b>More dates</b>: other scenes of the same place (any footprint, CRS or date). "
            "Each is read on the first scene's grid and run through the model; the LCZ comes from the mean of the "
            "dates' class probabilities in each 100 m cell, the settlement density from the median of the dates in "
            "each 20 m pixel (a single hazy date cannot drag it). <b>Dates per LCZ cell</b> (optional output): how "
            "many dates had data in each cell.</p>"
        ) + self.tr(
            "<h3>Sentinel-2 products and clouds</h3><p><b>Sentinel-2 raster</b> may also be a product as downloaded: "
            "its .SAFE folder, its .zip, its MTD_MSIL1C.xml / MTD_MSIL2A.xml, or any of its sub-datasets as QGIS adds "
            "it (10 m, 20 m, ...): the other bands of the same product are found, and the processing level and the "
            "offsets of baseline 04.00 are read from the product's metadata.</p><p><b>Mask clouds and cloud "
            "shadows</b> (on by default): such pixels are no data in every output, from the product's scene "
            "classification (L2A) or cloud mask (L1C of baseline 04.00) where present, otherwise from a spectral test "
            "that finds clouds but not their shadows (user guide); the log counts the masked cells.</p>"
        ) + self.tr(
            "<p><b>Band names with several dates</b>: the band names describe the first scene. A later date with the "
            "same number of bands is read with them too; one with another number of bands is read by its own band "
            "names, and refused if it has none. For dates of different layouts, give one list per date separated by "
            "|, e.g. <code>B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12 | -,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12</code>.</p>"
        )

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.add_mapping_parameters()

    def processAlgorithm(  # noqa: N802
        self, parameters: dict[str, Any], context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> dict[str, Any]:
        # Imported when run, not with the provider: the provider and its help stay available even where
        # the engine's dependencies are broken, and QGIS starts faster.
        from ..core.engine import OutputPaths
        from ..core.multidate import map_dates

        inputs = self.mapping_inputs(parameters, context)
        model = inputs.model
        paths = self._producible(parameters, inputs.paths, model.model_path, feedback)
        result = self.run_engine(map_dates, inputs.sources, OutputPaths(**paths), model, clouds=inputs.clouds,
                                 feedback=feedback)
        return self._publish(result.outputs, inputs.paths, context,
                             self._made_by(inputs.sources, model.model_path, result.contract))
