<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="0" classificationMax="1">
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" labelPrecision="2" minimumValue="0" maximumValue="1">
          <item value="0" color="#fcfbfd" alpha="255" label="0 more certain" />
          <item value="0.25" color="#dadaeb" alpha="255" label="0.25" />
          <item value="0.5" color="#9e9ac8" alpha="255" label="0.5" />
          <item value="0.75" color="#6a51a3" alpha="255" label="0.75" />
          <item value="1" color="#3f007d" alpha="255" label="1 less certain" />
          <rampLegendSettings useContinuousLegend="1" orientation="2" direction="0" prefix="" suffix="" minimumLabel="0 more certain" maximumLabel="1 less certain" />
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1" />
    <huesaturation saturation="0" grayscaleMode="0" invertColors="0" colorizeOn="0" colorizeRed="255" colorizeGreen="128" colorizeBlue="128" colorizeStrength="100" />
    <rasterresampler maxOversampling="2" />
  </pipe>
  <blendMode>0</blendMode>
</qgis>
