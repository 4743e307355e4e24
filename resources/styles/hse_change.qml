<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="-1" classificationMax="1">
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" labelPrecision="2" minimumValue="-1" maximumValue="1">
          <item value="-1" color="#2166ac" alpha="255" label="-1 loss" />
          <item value="-0.3" color="#92c5de" alpha="255" label="-0.3" />
          <item value="-0.1" color="#f7f7f7" alpha="0" label="stable" />
          <item value="0.1" color="#f7f7f7" alpha="0" label="" />
          <item value="0.3" color="#f4a582" alpha="255" label="0.3" />
          <item value="1" color="#b2182b" alpha="255" label="1 growth" />
          <rampLegendSettings useContinuousLegend="1" orientation="2" direction="0" prefix="" suffix="" minimumLabel="-1 loss" maximumLabel="1 growth" />
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1" />
    <huesaturation saturation="0" grayscaleMode="0" invertColors="0" colorizeOn="0" colorizeRed="255" colorizeGreen="128" colorizeBlue="128" colorizeStrength="100" />
    <rasterresampler maxOversampling="2" />
  </pipe>
  <blendMode>0</blendMode>
</qgis>
