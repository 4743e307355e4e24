<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <colorPalette>
        <paletteEntry value="1" color="#8c0000" alpha="255" label="1 Compact high-rise" />
        <paletteEntry value="2" color="#d10000" alpha="255" label="2 Compact mid-rise" />
        <paletteEntry value="3" color="#ff0000" alpha="255" label="3 Compact low-rise" />
        <paletteEntry value="4" color="#bf4d00" alpha="255" label="4 Open high-rise" />
        <paletteEntry value="5" color="#ff6600" alpha="255" label="5 Open mid-rise" />
        <paletteEntry value="6" color="#ff9955" alpha="255" label="6 Open low-rise" />
        <paletteEntry value="7" color="#faee05" alpha="255" label="7 Lightweight low-rise" />
        <paletteEntry value="8" color="#bcbcbc" alpha="255" label="8 Large low-rise" />
        <paletteEntry value="9" color="#ffccaa" alpha="255" label="9 Sparsely built" />
        <paletteEntry value="10" color="#555555" alpha="255" label="10 Heavy industry" />
        <paletteEntry value="11" color="#006a00" alpha="255" label="A Dense trees" />
        <paletteEntry value="12" color="#00aa00" alpha="255" label="B Scattered trees" />
        <paletteEntry value="13" color="#648525" alpha="255" label="C Bush, scrub" />
        <paletteEntry value="14" color="#b9db79" alpha="255" label="D Low plants" />
        <paletteEntry value="15" color="#000000" alpha="255" label="E Bare rock or paved" />
        <paletteEntry value="16" color="#fbf7ae" alpha="255" label="F Bare soil or sand" />
        <paletteEntry value="17" color="#6a6aff" alpha="255" label="G Water" />
      </colorPalette>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1" />
    <huesaturation saturation="0" grayscaleMode="0" invertColors="0" colorizeOn="0" colorizeRed="255" colorizeGreen="128" colorizeBlue="128" colorizeStrength="100" />
    <rasterresampler maxOversampling="2" />
  </pipe>
  <blendMode>0</blendMode>
</qgis>
