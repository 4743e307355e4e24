<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE" sourcelanguage="en">
<context>
    <name>AssessHseAlgorithm</name>
    <message>
        <source>&lt;p&gt;Compares a settlement density map (built-up fraction) with a reference density raster, e.g. the Copernicus imperviousness layer, and reports the mean absolute error (MAE), root mean square error (RMSE) and bias (prediction minus reference) as fractions 0 to 1, and, for the settlement mask (density at or above the threshold), Kappa, average accuracy, overall accuracy, recall, precision and F1, as the seed paper (Qiu et al. 2022) reports them.&lt;/p&gt;&lt;p&gt;The map is averaged onto the reference&apos;s grid, in the reference&apos;s CRS; only the part under the map is read; nodata of either raster is not scored.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Units&lt;/b&gt;: fraction 0..1 or percent 0..100; auto reads percent when a value exceeds 1. Values far outside the range (such as an undeclared nodata value 255) are an error: set the raster&apos;s nodata value.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Settlement threshold&lt;/b&gt;: a fraction (0.5 = half of the cell built up). &lt;b&gt;Block size&lt;/b&gt;: cells a side averaged before thresholding (1 = none).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Outputs&lt;/b&gt;: a table of the scores, an HTML report, and the scores as numbers.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Vergleicht eine Siedlungsdichtekarte (bebauter Anteil) mit einem Referenzraster der Dichte, z. B. der Copernicus-Versiegelungsschicht, und gibt den mittleren absoluten Fehler (MAE), die Wurzel des mittleren quadratischen Fehlers (RMSE) und die Verzerrung (Vorhersage minus Referenz) als Anteile 0 bis 1 an sowie, für die Siedlungsmaske (Dichte ab dem Schwellenwert), Kappa, mittlere Genauigkeit, Gesamtgenauigkeit, Trefferquote, Präzision und F1, so wie die Ausgangsarbeit (Qiu et al. 2022) sie angibt.&lt;/p&gt;&lt;p&gt;Die Karte wird auf das Raster der Referenz gemittelt, im KBS der Referenz; nur der Teil unter der Karte wird gelesen; Zellen ohne Daten in einem der beiden Raster werden nicht bewertet.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Einheiten&lt;/b&gt;: Anteil 0..1 oder Prozent 0..100; automatisch liest Prozent, wenn ein Wert 1 übersteigt. Werte weit außerhalb des Bereichs (etwa ein nicht erklärter Keine-Daten-Wert 255) sind ein Fehler: Setzen Sie den Keine-Daten-Wert des Rasters.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Siedlungsschwelle&lt;/b&gt;: ein Anteil (0,5 = die Hälfte der Zelle bebaut). &lt;b&gt;Blockgröße&lt;/b&gt;: Zellen je Seite, die vor der Schwellenbildung gemittelt werden (1 = keine).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Ergebnisse&lt;/b&gt;: eine Tabelle der Kennzahlen, ein HTML-Bericht und die Kennzahlen als Zahlen.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Assess a settlement density map</source>
        <translation>Eine Siedlungsdichtekarte bewerten</translation>
    </message>
    <message>
        <source>Assessment</source>
        <translation>Bewertung</translation>
    </message>
    <message>
        <source>Average accuracy of the settlement mask</source>
        <translation>Mittlere Genauigkeit der Siedlungsmaske</translation>
    </message>
    <message>
        <source>Bias, prediction minus reference (fraction)</source>
        <translation>Verzerrung, Vorhersage minus Referenz (Anteil)</translation>
    </message>
    <message>
        <source>Block size before thresholding (cells)</source>
        <translation>Blockgröße vor der Schwellenbildung (Zellen)</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>F1 of settlement</source>
        <translation>F1 der Siedlung</translation>
    </message>
    <message>
        <source>HTML files (*.html)</source>
        <translation>HTML-Dateien (*.html)</translation>
    </message>
    <message>
        <source>Kappa of the settlement mask</source>
        <translation>Kappa der Siedlungsmaske</translation>
    </message>
    <message>
        <source>Mean absolute error (fraction)</source>
        <translation>Mittlerer absoluter Fehler (Anteil)</translation>
    </message>
    <message>
        <source>Overall accuracy of the settlement mask</source>
        <translation>Gesamtgenauigkeit der Siedlungsmaske</translation>
    </message>
    <message>
        <source>Precision of settlement</source>
        <translation>Präzision der Siedlung</translation>
    </message>
    <message>
        <source>Recall of settlement</source>
        <translation>Trefferquote der Siedlung</translation>
    </message>
    <message>
        <source>Reference density raster</source>
        <translation>Referenzraster der Dichte</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Bericht</translation>
    </message>
    <message>
        <source>Root mean square error (fraction)</source>
        <translation>Wurzel des mittleren quadratischen Fehlers (Anteil)</translation>
    </message>
    <message>
        <source>Scored cells</source>
        <translation>Bewertete Zellen</translation>
    </message>
    <message>
        <source>Scores</source>
        <translation>Kennzahlen</translation>
    </message>
    <message>
        <source>Scores a settlement density (HSE) raster against a reference density raster.</source>
        <translation>Bewertet ein Siedlungsdichteraster (HSE) gegen ein Referenzraster der Dichte.</translation>
    </message>
    <message>
        <source>Settlement density map to assess</source>
        <translation>Zu bewertende Siedlungsdichtekarte</translation>
    </message>
    <message>
        <source>Settlement threshold (fraction)</source>
        <translation>Siedlungsschwelle (Anteil)</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>Units of the map</source>
        <translation>Einheiten der Karte</translation>
    </message>
    <message>
        <source>Units of the reference</source>
        <translation>Einheiten der Referenz</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>automatisch</translation>
    </message>
    <message>
        <source>fraction 0..1</source>
        <translation>Anteil 0..1</translation>
    </message>
    <message>
        <source>hse,settlement,built-up,imperviousness,density,accuracy,assessment,validation,mae,rmse</source>
        <translation>hse,siedlung,bebaut,versiegelung,dichte,genauigkeit,bewertung,validierung,mae,rmse</translation>
    </message>
    <message>
        <source>percent 0..100</source>
        <translation>Prozent 0..100</translation>
    </message>
</context>
<context>
    <name>AssessLczAlgorithm</name>
    <message>
        <source>&lt;p&gt;Compares an LCZ map (codes 1 to 17: 1-10 built types, A-G as 11-17; its nodata is ignored) with a reference and reports overall accuracy (OA), Kappa, average accuracy (AA), weighted accuracy (WA, with the LCZ similarity weights of Bechtel et al. 2017), OA of the built zones (OAu), OA built versus natural (OAbu), per-class precision, recall and F1, and the confusion matrix.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Reference raster&lt;/b&gt;: scored on its own grid, in its own CRS: the map is warped onto it (the majority class when the map is finer, the nearest cell otherwise). Only the part under the map is read. Its nodata cells are not scored.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Reference polygons&lt;/b&gt; and &lt;b&gt;Class field&lt;/b&gt; (instead of a reference raster): polygons are rasterised onto the map&apos;s grid; a cell counts when its centre lies in a polygon. The field holds LCZ codes 1-17 or labels 1-10, A-G.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Reference mapping&lt;/b&gt; (optional): for a reference whose codes are not LCZ codes, e.g. &lt;code&gt;9-&amp;gt;2; 11-&amp;gt;4; 17-&amp;gt;16&lt;/code&gt;. Once given, it must list every code of the reference, also codes that already are the right LCZ (&lt;code&gt;3-&amp;gt;3&lt;/code&gt;); a code it lacks is an error naming it: the algorithm never guesses what a code means. Without a mapping, the reference&apos;s codes are read as LCZ codes 1-17 (others are an error).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Class groups&lt;/b&gt; (optional): for a reference with fewer classes, group the LCZ into its classes, e.g. &lt;code&gt;1,2,4,5-&amp;gt;1; 3,6,7,8,10-&amp;gt;2; 11,12-&amp;gt;3; 13,14,16-&amp;gt;4; 17-&amp;gt;5&lt;/code&gt;. LCZ in no group are left out (the report counts them); WA, OAu and OAbu are then not defined.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Outputs&lt;/b&gt;: a table with one row per class (counts, precision, recall, F1 and its row of the confusion matrix, reference in rows, prediction in pred_ columns), an HTML report, and the scores as numbers for models and scripts.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Vergleicht eine LCZ-Karte (Codes 1 bis 17: 1-10 bebaute Typen, A-G als 11-17; ihre Keine-Daten-Zellen werden ignoriert) mit einer Referenz und gibt Gesamtgenauigkeit (OA), Kappa, mittlere Genauigkeit (AA), gewichtete Genauigkeit (WA, mit den LCZ-Ähnlichkeitsgewichten von Bechtel et al. 2017), OA der bebauten Zonen (OAu), OA bebaut gegen natürlich (OAbu), Präzision, Trefferquote und F1 je Klasse sowie die Konfusionsmatrix an.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Referenzraster&lt;/b&gt;: bewertet auf seinem eigenen Raster, in seinem eigenen KBS: Die Karte wird darauf umprojiziert (die Mehrheitsklasse, wenn die Karte feiner ist, sonst die nächste Zelle). Nur der Teil unter der Karte wird gelesen. Seine Zellen ohne Daten werden nicht bewertet.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Referenzpolygone&lt;/b&gt; und &lt;b&gt;Klassenfeld&lt;/b&gt; (statt eines Referenzrasters): Die Polygone werden auf das Raster der Karte gerastert; eine Zelle zählt, wenn ihr Mittelpunkt in einem Polygon liegt. Das Feld enthält LCZ-Codes 1-17 oder die Bezeichnungen 1-10, A-G.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Referenzzuordnung&lt;/b&gt; (optional): für eine Referenz, deren Codes keine LCZ-Codes sind, z. B. &lt;code&gt;9-&amp;gt;2; 11-&amp;gt;4; 17-&amp;gt;16&lt;/code&gt;. Wenn angegeben, muss sie jeden Code der Referenz aufführen, auch Codes, die schon die richtige LCZ sind (&lt;code&gt;3-&amp;gt;3&lt;/code&gt;); ein fehlender Code ist ein Fehler, der ihn nennt: Der Algorithmus rät nie, was ein Code bedeutet. Ohne Zuordnung werden die Codes der Referenz als LCZ-Codes 1-17 gelesen (andere sind ein Fehler).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Klassengruppen&lt;/b&gt; (optional): für eine Referenz mit weniger Klassen die LCZ zu deren Klassen zusammenfassen, z. B. &lt;code&gt;1,2,4,5-&amp;gt;1; 3,6,7,8,10-&amp;gt;2; 11,12-&amp;gt;3; 13,14,16-&amp;gt;4; 17-&amp;gt;5&lt;/code&gt;. LCZ in keiner Gruppe werden ausgelassen (der Bericht zählt sie); WA, OAu und OAbu sind dann nicht definiert.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Ergebnisse&lt;/b&gt;: eine Tabelle mit einer Zeile je Klasse (Anzahlen, Präzision, Trefferquote, F1 und ihre Zeile der Konfusionsmatrix, Referenz in Zeilen, Vorhersage in pred_-Spalten), ein HTML-Bericht und die Kennzahlen als Zahlen für Modelle und Skripte.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Assess a local climate zone map</source>
        <translation>Eine Karte lokaler Klimazonen bewerten</translation>
    </message>
    <message>
        <source>Assessment</source>
        <translation>Bewertung</translation>
    </message>
    <message>
        <source>Average accuracy (AA)</source>
        <translation>Mittlere Genauigkeit (AA)</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>Class field of the polygons</source>
        <translation>Klassenfeld der Polygone</translation>
    </message>
    <message>
        <source>Class groups</source>
        <translation>Klassengruppen</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>Give either a reference raster or reference polygons (with a class field).</source>
        <translation>Geben Sie entweder ein Referenzraster oder Referenzpolygone (mit einem Klassenfeld) an.</translation>
    </message>
    <message>
        <source>HTML files (*.html)</source>
        <translation>HTML-Dateien (*.html)</translation>
    </message>
    <message>
        <source>Kappa</source>
        <translation>Kappa</translation>
    </message>
    <message>
        <source>LCZ codes to the reference&apos;s classes, e.g. 1,2,4,5-&gt;1; 3,6,7,8,10-&gt;2; 11,12-&gt;3</source>
        <translation>LCZ-Codes zu den Klassen der Referenz, z. B. 1,2,4,5-&gt;1; 3,6,7,8,10-&gt;2; 11,12-&gt;3</translation>
    </message>
    <message>
        <source>LCZ map to assess</source>
        <translation>Zu bewertende LCZ-Karte</translation>
    </message>
    <message>
        <source>Mean F1 over the classes</source>
        <translation>Mittleres F1 über die Klassen</translation>
    </message>
    <message>
        <source>OA built versus natural (OAbu)</source>
        <translation>OA bebaut gegen natürlich (OAbu)</translation>
    </message>
    <message>
        <source>OA of the built zones (OAu)</source>
        <translation>OA der bebauten Zonen (OAu)</translation>
    </message>
    <message>
        <source>Overall accuracy (OA)</source>
        <translation>Gesamtgenauigkeit (OA)</translation>
    </message>
    <message>
        <source>Per-class scores and confusion matrix</source>
        <translation>Kennzahlen je Klasse und Konfusionsmatrix</translation>
    </message>
    <message>
        <source>Reference LCZ raster</source>
        <translation>LCZ-Referenzraster</translation>
    </message>
    <message>
        <source>Reference codes to LCZ codes, e.g. 9-&gt;2; 11-&gt;4; 17-&gt;16</source>
        <translation>Codes der Referenz zu LCZ-Codes, z. B. 9-&gt;2; 11-&gt;4; 17-&gt;16</translation>
    </message>
    <message>
        <source>Reference mapping</source>
        <translation>Referenzzuordnung</translation>
    </message>
    <message>
        <source>Reference polygons (instead of a reference raster)</source>
        <translation>Referenzpolygone (statt eines Referenzrasters)</translation>
    </message>
    <message>
        <source>Reference polygons need a class field.</source>
        <translation>Referenzpolygone brauchen ein Klassenfeld.</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Bericht</translation>
    </message>
    <message>
        <source>Scored cells</source>
        <translation>Bewertete Zellen</translation>
    </message>
    <message>
        <source>Scores an LCZ raster against a reference raster or reference polygons.</source>
        <translation>Bewertet ein LCZ-Raster gegen ein Referenzraster oder Referenzpolygone.</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>The polygon layer has no field {field}.</source>
        <translation>Die Polygonebene hat kein Feld {field}.</translation>
    </message>
    <message>
        <source>Weighted accuracy (WA)</source>
        <translation>Gewichtete Genauigkeit (WA)</translation>
    </message>
    <message>
        <source>lcz,local climate zones,accuracy,assessment,validation,confusion matrix,kappa,f1</source>
        <translation>lcz,lokale klimazonen,genauigkeit,bewertung,validierung,konfusionsmatrix,kappa,f1</translation>
    </message>
</context>
<context>
    <name>DiagnosticsAlgorithm</name>
    <message>
        <source>&lt;p&gt;Reports what the plugin finds on this computer: the versions of QGIS, Python, GDAL, numpy and onnxruntime, the execution providers onnxruntime offers and the one each bundled model really starts on (is the GPU used?), the GPUs in sight, each bundled model&apos;s contract (name, version, bands, processing level, outputs), the plugin&apos;s data paths, and what the installer would install.&lt;/p&gt;&lt;p&gt;The report is in the log (copy it from there) and, when you give a file, in a .txt or .html file. It is in English, to be pasted into a bug report.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Berichtet, was das Plugin auf diesem Rechner vorfindet: die Versionen von QGIS, Python, GDAL, numpy und onnxruntime, die Execution Provider, die onnxruntime anbietet, und den, auf dem jedes mitgelieferte Modell tatsächlich startet (wird die GPU genutzt?), die sichtbaren GPUs, den Vertrag jedes mitgelieferten Modells (Name, Version, Bänder, Prozessierungsstufe, Ausgaben), die Datenpfade des Plugins und was der Installer installieren würde.&lt;/p&gt;&lt;p&gt;Der Bericht steht im Protokoll (kopieren Sie ihn von dort) und, wenn Sie eine Datei angeben, in einer .txt- oder .html-Datei. Er ist auf Englisch, um in einen Fehlerbericht eingefügt zu werden.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>Could not write the report {path}: {error}</source>
        <translation>Der Bericht {path} konnte nicht geschrieben werden: {error}</translation>
    </message>
    <message>
        <source>Diagnose the installation</source>
        <translation>Installation diagnostizieren</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>Bericht</translation>
    </message>
    <message>
        <source>Report file</source>
        <translation>Berichtsdatei</translation>
    </message>
    <message>
        <source>Set-up</source>
        <translation>Einrichtung</translation>
    </message>
    <message>
        <source>Text (*.txt);;HTML (*.html)</source>
        <translation>Textdatei (*.txt);;HTML-Datei (*.html)</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
</context>
<context>
    <name>DistrictSummaryAlgorithm</name>
    <message>
        <source>&lt;p&gt;Summarises the LCZ map (and the settlement density and uncertainty maps, when given) inside each polygon of a layer: districts, blocks, a municipality. The polygons may be in any CRS.&lt;/p&gt;&lt;p&gt;A map cell counts for a polygon when its centre lies in the polygon. Overlapping polygons are each counted in full (the log says which overlap).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Fields added&lt;/b&gt; (names fit a shapefile): &lt;code&gt;area_km2&lt;/code&gt; the polygon&apos;s area; &lt;code&gt;valid_frac&lt;/code&gt; the share of that area covered by LCZ cells with data (below 1 for a polygon partly outside the map: the log names them); &lt;code&gt;lcz_cells&lt;/code&gt; those cells; &lt;code&gt;lcz_1&lt;/code&gt; to &lt;code&gt;lcz_10&lt;/code&gt; and &lt;code&gt;lcz_A&lt;/code&gt; to &lt;code&gt;lcz_G&lt;/code&gt; the share of each class among them; &lt;code&gt;dominant&lt;/code&gt; the most frequent class; &lt;code&gt;hse_mean&lt;/code&gt; the mean settlement density; &lt;code&gt;built_km2&lt;/code&gt; the HSE-weighted built-up area (density x cell area, summed); &lt;code&gt;unc_mean&lt;/code&gt; the mean LCZ uncertainty. Polygons without data keep empty fields.&lt;/p&gt;&lt;p&gt;Invalid polygons (e.g. self-intersecting) are repaired for the computation and keep their own geometry in the output; the log counts them. The output also goes to a CSV table.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Fasst die LCZ-Karte (und, falls angegeben, die Karten der Siedlungsdichte und der Unsicherheit) innerhalb jedes Polygons einer Ebene zusammen: Bezirke, Baublöcke, eine Gemeinde. Die Polygone dürfen in einem beliebigen KBS vorliegen.&lt;/p&gt;&lt;p&gt;Eine Kartenzelle zählt für ein Polygon, wenn ihr Mittelpunkt im Polygon liegt. Überlappende Polygone werden jeweils vollständig gezählt (das Protokoll nennt die überlappenden).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Hinzugefügte Felder&lt;/b&gt; (die Namen passen in ein Shapefile): &lt;code&gt;area_km2&lt;/code&gt; die Fläche des Polygons; &lt;code&gt;valid_frac&lt;/code&gt; der Anteil dieser Fläche, den LCZ-Zellen mit Daten abdecken (unter 1 bei einem Polygon, das teilweise außerhalb der Karte liegt: das Protokoll nennt sie); &lt;code&gt;lcz_cells&lt;/code&gt; diese Zellen; &lt;code&gt;lcz_1&lt;/code&gt; bis &lt;code&gt;lcz_10&lt;/code&gt; und &lt;code&gt;lcz_A&lt;/code&gt; bis &lt;code&gt;lcz_G&lt;/code&gt; der Anteil jeder Klasse daran; &lt;code&gt;dominant&lt;/code&gt; die häufigste Klasse; &lt;code&gt;hse_mean&lt;/code&gt; die mittlere Siedlungsdichte; &lt;code&gt;built_km2&lt;/code&gt; die mit der HSE gewichtete bebaute Fläche (Dichte x Zellfläche, summiert); &lt;code&gt;unc_mean&lt;/code&gt; die mittlere LCZ-Unsicherheit. Polygone ohne Daten behalten leere Felder.&lt;/p&gt;&lt;p&gt;Ungültige Polygone (z. B. selbstüberschneidende) werden für die Berechnung repariert und behalten in der Ausgabe ihre eigene Geometrie; das Protokoll zählt sie. Die Ausgabe geht auch in eine CSV-Tabelle.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>District summaries</source>
        <translation>Bezirkszusammenfassungen</translation>
    </message>
    <message>
        <source>District summaries (CSV)</source>
        <translation>Bezirkszusammenfassungen (CSV)</translation>
    </message>
    <message>
        <source>Districts (polygons)</source>
        <translation>Bezirke (Polygone)</translation>
    </message>
    <message>
        <source>LCZ map</source>
        <translation>LCZ-Karte</translation>
    </message>
    <message>
        <source>LCZ uncertainty map</source>
        <translation>Karte der LCZ-Unsicherheit</translation>
    </message>
    <message>
        <source>Per polygon: LCZ shares, dominant class, mean HSE, built-up area and mean uncertainty.</source>
        <translation>Je Polygon: LCZ-Anteile, vorherrschende Klasse, mittlere HSE, bebaute Fläche und mittlere Unsicherheit.</translation>
    </message>
    <message>
        <source>Planning</source>
        <translation>Planung</translation>
    </message>
    <message>
        <source>Settlement density (HSE) map</source>
        <translation>Karte der Siedlungsdichte (HSE)</translation>
    </message>
    <message>
        <source>Summarise the maps by district</source>
        <translation>Karten nach Bezirken zusammenfassen</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>The input&apos;s fields {names} are replaced by the new values.</source>
        <translation>Die Felder {names} der Eingabe werden durch die neuen Werte ersetzt.</translation>
    </message>
    <message>
        <source>The layer {name} has no features: nothing to summarise.</source>
        <translation>Die Ebene {name} hat keine Objekte: nichts zusammenzufassen.</translation>
    </message>
    <message>
        <source>The layer {name} holds {kind}, not polygons: districts must be polygons (areas).</source>
        <translation>Die Ebene {name} enthält {kind}, keine Polygone: Bezirke müssen Polygone (Flächen) sein.</translation>
    </message>
    <message>
        <source>district,zonal,statistics,polygons,lcz,hse,built-up,planning,csv</source>
        <translation>Bezirk,zonal,Statistik,Polygone,lcz,hse,bebaut,Planung,csv</translation>
    </message>
    <message>
        <source>{count} polygon(s) of {name} cannot be expressed in the LCZ map&apos;s CRS (far outside it): their fields are empty.</source>
        <translation>{count} Polygon(e) von {name} lassen sich nicht im KBS der LCZ-Karte ausdrücken (weit außerhalb): ihre Felder bleiben leer.</translation>
    </message>
</context>
<context>
    <name>ExportLczAlgorithm</name>
    <message>
        <source>&lt;p&gt;Writes an LCZ map (codes 1-17, e.g. the output &lt;i&gt;Local climate zones&lt;/i&gt; of the mapping algorithm) in the layouts the next tools read. Each output is optional; give at least one.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;&lt;b&gt;UMEP&lt;/b&gt;: the map on its own grid, built types 1-10 as they are and the natural types A-G as 101-107, no data 0, as UMEP&apos;s LCZ Converter counts them.&lt;/li&gt;&lt;li&gt;&lt;b&gt;w2w / WRF&lt;/b&gt;: the map in WGS 84 (EPSG:4326), codes 1-17, nearest neighbour, no data 0. Band 1 &apos;lcz&apos; is the raw map; with a &lt;i&gt;filtered LCZ map&lt;/i&gt;, band 2 &apos;lczFilter&apos; is the filtered one, and w2w uses band 2 by itself, as it does for the LCZ Generator&apos;s maps.&lt;/li&gt;&lt;li&gt;&lt;b&gt;KMZ&lt;/b&gt;: the map in the LCZ colours for Google Earth (the filtered map shown first when given), with a legend of the 17 classes.&lt;/li&gt;&lt;/ul&gt;&lt;p&gt;The filtered map must come from the same run (same grid). Nothing is written unless every output could be written.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Schreibt eine LCZ-Karte (Codes 1-17, z. B. die Ausgabe &lt;i&gt;Lokale Klimazonen&lt;/i&gt; des Kartierungsalgorithmus) in den Formaten, die die nächsten Werkzeuge lesen. Jede Ausgabe ist optional; geben Sie mindestens eine an.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;&lt;b&gt;UMEP&lt;/b&gt;: die Karte auf ihrem eigenen Raster, bebaute Typen 1-10 unverändert, natürliche Typen A-G als 101-107, keine Daten 0, wie der LCZ Converter von UMEP sie zählt.&lt;/li&gt;&lt;li&gt;&lt;b&gt;w2w / WRF&lt;/b&gt;: die Karte in WGS 84 (EPSG:4326), Codes 1-17, nächster Nachbar, keine Daten 0. Band 1 &apos;lcz&apos; ist die ungefilterte Karte; mit einer &lt;i&gt;gefilterten LCZ-Karte&lt;/i&gt; ist Band 2 &apos;lczFilter&apos; die gefilterte, und w2w verwendet Band 2 von selbst, wie bei den Karten des LCZ Generators.&lt;/li&gt;&lt;li&gt;&lt;b&gt;KMZ&lt;/b&gt;: die Karte in den LCZ-Farben für Google Earth (die gefilterte Karte zuerst, wenn angegeben), mit einer Legende der 17 Klassen.&lt;/li&gt;&lt;/ul&gt;&lt;p&gt;Die gefilterte Karte muss aus demselben Lauf stammen (dasselbe Raster). Es wird nichts geschrieben, wenn nicht alle Ausgaben geschrieben werden konnten.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exportieren</translation>
    </message>
    <message>
        <source>Export an LCZ map for UMEP, w2w/WRF and Google Earth</source>
        <translation>LCZ-Karte für UMEP, w2w/WRF und Google Earth exportieren</translation>
    </message>
    <message>
        <source>Filtered LCZ map of the same run (optional)</source>
        <translation>Gefilterte LCZ-Karte desselben Laufs (optional)</translation>
    </message>
    <message>
        <source>KMZ files (*.kmz)</source>
        <translation>KMZ-Dateien (*.kmz)</translation>
    </message>
    <message>
        <source>LCZ map (codes 1-17)</source>
        <translation>LCZ-Karte (Codes 1-17)</translation>
    </message>
    <message>
        <source>LCZ map as KMZ (Google Earth)</source>
        <translation>LCZ-Karte als KMZ (Google Earth)</translation>
    </message>
    <message>
        <source>LCZ map for UMEP (1-10, 101-107)</source>
        <translation>LCZ-Karte für UMEP (1-10, 101-107)</translation>
    </message>
    <message>
        <source>LCZ map for w2w/WRF (EPSG:4326)</source>
        <translation>LCZ-Karte für w2w/WRF (EPSG:4326)</translation>
    </message>
    <message>
        <source>Local climate zones</source>
        <translation>Lokale Klimazonen</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>lcz,local climate zones,umep,w2w,wrf,kmz,google earth,export</source>
        <translation>lcz,lokale klimazonen,umep,w2w,wrf,kmz,google earth,export,exportieren</translation>
    </message>
</context>
<context>
    <name>HseLczProvider</name>
    <message>
        <source>HSE &amp; LCZ</source>
        <translation>HSE &amp; LCZ</translation>
    </message>
    <message>
        <source>Settlement density and local climate zones from Sentinel-2</source>
        <translation>Siedlungsdichte und lokale Klimazonen aus Sentinel-2</translation>
    </message>
</context>
<context>
    <name>InstallDependenciesAlgorithm</name>
    <message>
        <source>&lt;p&gt;Installs onnxruntime, which runs the plugin&apos;s models, into the Python that runs QGIS, with pip.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Package&lt;/b&gt;: auto picks it from this computer: onnxruntime-gpu (CUDA) with an NVIDIA GPU on Linux, or on Windows when the CUDA libraries are installed; onnxruntime-directml on Windows with any other GPU; onnxruntime otherwise (on macOS it brings CoreML). Every package also runs on the CPU.&lt;/p&gt;&lt;p&gt;numpy stays at the version QGIS was built with. Where the system Python is locked (Linux distributions, a QGIS installed for all users) it installs for your user only (--user). The log shows pip&apos;s output; when pip fails, the error gives the command to run by hand.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Only print the command&lt;/b&gt;: installs nothing; the log shows the package, why, and the command. The log says when QGIS must be restarted.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Uninstall other onnxruntime packages first&lt;/b&gt;: onnxruntime, onnxruntime-gpu and onnxruntime-directml overwrite each other; to change from one to another, tick this. QGIS must then be restarted.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Installiert onnxruntime, das die Modelle des Plugins ausführt, mit pip in das Python, mit dem QGIS läuft.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Paket&lt;/b&gt;: auto wählt es nach diesem Rechner: onnxruntime-gpu (CUDA) mit einer NVIDIA-GPU unter Linux, oder unter Windows, wenn die CUDA-Bibliotheken installiert sind; onnxruntime-directml unter Windows mit jeder anderen GPU; sonst onnxruntime (unter macOS bringt es CoreML mit). Jedes Paket läuft auch auf der CPU.&lt;/p&gt;&lt;p&gt;numpy bleibt in der Version, mit der QGIS gebaut wurde. Wo das System-Python gesperrt ist (Linux-Distributionen, ein für alle Benutzer installiertes QGIS), wird nur für Ihren Benutzer installiert (--user). Das Protokoll zeigt die Ausgabe von pip; schlägt pip fehl, nennt die Fehlermeldung den Befehl, den Sie von Hand ausführen können.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Nur den Befehl ausgeben&lt;/b&gt;: installiert nichts; das Protokoll zeigt das Paket, den Grund und den Befehl. Das Protokoll sagt, wann QGIS neu gestartet werden muss.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Andere onnxruntime-Pakete zuerst deinstallieren&lt;/b&gt;: onnxruntime, onnxruntime-gpu und onnxruntime-directml überschreiben einander; um von einem zum anderen zu wechseln, kreuzen Sie dies an. QGIS muss dann neu gestartet werden.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Another onnxruntime package is installed ({packages}); the packages overwrite each other. Tick &quot;Uninstall other onnxruntime packages first&quot; (REPLACE=true), or uninstall it yourself, then run this algorithm again.</source>
        <translation>Ein anderes onnxruntime-Paket ist installiert ({packages}); die Pakete überschreiben einander. Kreuzen Sie „Andere onnxruntime-Pakete zuerst deinstallieren“ an (REPLACE=true) oder deinstallieren Sie es selbst und führen Sie diesen Algorithmus dann erneut aus.</translation>
    </message>
    <message>
        <source>CPU (onnxruntime)</source>
        <translation>CPU (Paket onnxruntime)</translation>
    </message>
    <message>
        <source>CUDA, NVIDIA (onnxruntime-gpu)</source>
        <translation>CUDA, NVIDIA (Paket onnxruntime-gpu)</translation>
    </message>
    <message>
        <source>Command: {command}</source>
        <translation>Befehl: {command}</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>DirectML, Windows (onnxruntime-directml)</source>
        <translation>DirectML, Windows (Paket onnxruntime-directml)</translation>
    </message>
    <message>
        <source>Install onnxruntime</source>
        <translation>onnxruntime installieren</translation>
    </message>
    <message>
        <source>Installed</source>
        <translation>Installiert</translation>
    </message>
    <message>
        <source>Only print the command</source>
        <translation>Nur den Befehl ausgeben</translation>
    </message>
    <message>
        <source>Package</source>
        <translation>Paket</translation>
    </message>
    <message>
        <source>Package: {package}. {why}</source>
        <translation>Paket: {package}. {why}</translation>
    </message>
    <message>
        <source>QGIS must be restarted</source>
        <translation>QGIS muss neu gestartet werden</translation>
    </message>
    <message>
        <source>Set-up</source>
        <translation>Einrichtung</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>Uninstall other onnxruntime packages first</source>
        <translation>Andere onnxruntime-Pakete zuerst deinstallieren</translation>
    </message>
    <message>
        <source>auto (for this computer&apos;s GPU)</source>
        <translation>auto (für die GPU dieses Rechners)</translation>
    </message>
    <message>
        <source>pip command</source>
        <translation>pip-Befehl</translation>
    </message>
    <message>
        <source>{package} is already installed and works: nothing to do.</source>
        <translation>{package} ist bereits installiert und funktioniert: nichts zu tun.</translation>
    </message>
</context>
<context>
    <name>MapAlgorithm</name>
    <message>
        <source> or </source>
        <translation> oder </translation>
    </message>
    <message>
        <source>&lt;h3&gt;Sentinel-2 products and clouds&lt;/h3&gt;&lt;p&gt;&lt;b&gt;Sentinel-2 raster&lt;/b&gt; may also be a product as downloaded: its .SAFE folder, its .zip, its MTD_MSIL1C.xml / MTD_MSIL2A.xml, or any of its sub-datasets as QGIS adds it (10 m, 20 m, ...): the other bands of the same product are found, and the processing level and the offsets of baseline 04.00 are read from the product&apos;s metadata.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Mask clouds and cloud shadows&lt;/b&gt; (on by default): such pixels are no data in every output, from the product&apos;s scene classification (L2A) or cloud mask (L1C of baseline 04.00) where present, otherwise from a spectral test that finds clouds but not their shadows (user guide); the log counts the masked cells.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Sentinel-2-Produkte und Wolken&lt;/h3&gt;&lt;p&gt;&lt;b&gt;Sentinel-2-Raster&lt;/b&gt; kann auch ein Produkt sein, wie es heruntergeladen wurde: sein .SAFE-Ordner, seine .zip, seine MTD_MSIL1C.xml / MTD_MSIL2A.xml oder einer seiner Teildatensätze, wie QGIS ihn hinzufügt (10 m, 20 m, ...): Die anderen Bänder desselben Produkts werden gefunden, und die Prozessierungsstufe und die Offsets der Baseline 04.00 werden aus den Metadaten des Produkts gelesen.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Wolken und Wolkenschatten maskieren&lt;/b&gt; (standardmäßig an): Solche Pixel sind in jeder Ausgabe ohne Daten, nach der Szenenklassifikation (L2A) oder der Wolkenmaske (L1C ab Baseline 04.00) des Produkts, wo vorhanden, sonst nach einem spektralen Test, der Wolken findet, aber nicht ihre Schatten (Benutzerhandbuch); das Protokoll zählt die maskierten Zellen.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Several dates&lt;/h3&gt;&lt;p&gt;&lt;b&gt;More dates&lt;/b&gt;: other scenes of the same place (any footprint, CRS or date). Each is read on the first scene&apos;s grid and run through the model; the LCZ comes from the mean of the dates&apos; class probabilities in each 100 m cell, the settlement density from the median of the dates in each 20 m pixel (a single hazy date cannot drag it). &lt;b&gt;Dates per LCZ cell&lt;/b&gt; (optional output): how many dates had data in each cell.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Mehrere Aufnahmen&lt;/h3&gt;&lt;p&gt;&lt;b&gt;Weitere Aufnahmen&lt;/b&gt;: andere Szenen desselben Ortes (beliebige Ausdehnung, KBS oder Datum). Jede wird auf dem Raster der ersten Szene gelesen und durch das Modell gerechnet; die LCZ ergibt sich in jeder 100-m-Zelle aus dem Mittel der Klassenwahrscheinlichkeiten der Aufnahmen, die Siedlungsdichte in jedem 20-m-Pixel aus dem Median der Aufnahmen (eine einzelne dunstige Aufnahme kann ihn nicht verschieben). &lt;b&gt;Aufnahmen je LCZ-Zelle&lt;/b&gt; (optionale Ausgabe): wie viele Aufnahmen in jeder Zelle Daten hatten.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Band names with several dates&lt;/b&gt;: the band names describe the first scene. A later date with the same number of bands is read with them too; one with another number of bands is read by its own band names, and refused if it has none. For dates of different layouts, give one list per date separated by |, e.g. &lt;code&gt;B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12 | -,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12&lt;/code&gt;.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Bandnamen bei mehreren Aufnahmen&lt;/b&gt;: Die Bandnamen beschreiben die erste Szene. Eine spätere Aufnahme mit derselben Zahl von Bändern wird ebenfalls mit ihnen gelesen; eine mit einer anderen Zahl von Bändern nach ihren eigenen Bandnamen, und sie wird abgelehnt, wenn sie keine hat. Für Aufnahmen verschiedenen Aufbaus geben Sie je Aufnahme eine Liste an, getrennt durch |, z. B. &lt;code&gt;B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12 | -,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12&lt;/code&gt;.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Runs a convolutional neural network (an ONNX model, through onnxruntime) over a Sentinel-2 scene and writes the 17 local climate zones (LCZ) of Stewart and Oke on a 100 m grid and, when the model predicts it, the density of human settlement (HSE: with the bundled model, the share of each 20 m pixel covered by buildings, 0 to 1) on a 20 m grid. Outputs are GeoTIFF files; loaded layers get the LCZ and HSE styles of the plugin.&lt;/p&gt;&lt;h3&gt;Parameters&lt;/h3&gt;&lt;p&gt;&lt;b&gt;Sentinel-2 raster&lt;/b&gt;: a band-stacked GeoTIFF or VRT, or a Sentinel-2 L1C/L2A product opened through GDAL. It must hold the bands the model needs (usually the ten 10 m and 20 m bands B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12) as reflectance x 10000.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Bundled model&lt;/b&gt;: used when no model file is given. The default, {default}, is the multi-task model v3: its local climate zones are those of the So2Sat LCZ42 ResNet20 classifier (the same network, unchanged), and a branch on the same network maps the settlement density as building cover, trained on real building footprints of Pisa. The So2Sat ResNet20 alone ({lcz_only}) maps local climate zones only. Both have a model card in the plugin&apos;s models folder.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Model file&lt;/b&gt;: an ONNX file that follows the plugin&apos;s model contract; it replaces the bundled model.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Band names&lt;/b&gt;: how to find the bands. Leave it empty when the raster&apos;s bands are named (band descriptions or metadata such as B2, B02 or a wavelength), which is how GDAL reads Sentinel-2 products. Otherwise either list the band names in raster band order, using - for a band to skip, e.g. &lt;code&gt;B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12&lt;/code&gt; or &lt;code&gt;-,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12&lt;/code&gt; for a 13-band stack, or give pairs of name and band number, e.g. &lt;code&gt;B2=1,B3=2,B4=3,B8=7&lt;/code&gt;.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Device&lt;/b&gt;: where onnxruntime runs the model. auto uses the first available accelerator (CUDA, DirectML, CoreML) and otherwise the CPU; naming a device that is not available is an error, never a silent fallback. The log reports the execution provider really used.&lt;/p&gt;&lt;h3&gt;Outputs&lt;/h3&gt;&lt;p&gt;&lt;b&gt;Local climate zones&lt;/b&gt;: Byte GeoTIFF on a 100 m grid, values 1 to 17 (1-10 built types, A-G as 11-17) with a colour table and class names; 0 is nodata.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Settlement density (HSE)&lt;/b&gt;: Float32 GeoTIFF, 0 to 1 (the bundled model: the share of the pixel covered by buildings), on a 20 m grid; only written when the model has an HSE output (the log says so otherwise).&lt;/p&gt;&lt;p&gt;&lt;b&gt;LCZ class probabilities&lt;/b&gt; (optional): 17-band Float32 GeoTIFF on the 100 m grid, one band per class.&lt;/p&gt;&lt;p&gt;The model runs through onnxruntime, which must be installed in the Python that QGIS uses; without it the algorithm stops and explains how to install it.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Wendet ein faltendes neuronales Netz (ein ONNX-Modell, ausgeführt mit onnxruntime) auf eine Sentinel-2-Szene an und schreibt die 17 lokalen Klimazonen (LCZ) nach Stewart und Oke auf einem 100-m-Raster sowie, wenn das Modell sie vorhersagt, die Dichte menschlicher Siedlungen (HSE: beim mitgelieferten Modell der von Gebäuden bedeckte Anteil jedes 20-m-Pixels, 0 bis 1) auf einem 20-m-Raster. Die Ergebnisse sind GeoTIFF-Dateien; geladene Layer erhalten die LCZ- und HSE-Stile des Plugins.&lt;/p&gt;&lt;h3&gt;Parameter&lt;/h3&gt;&lt;p&gt;&lt;b&gt;Sentinel-2-Raster&lt;/b&gt;: ein GeoTIFF oder VRT mit gestapelten Kanälen oder ein mit GDAL geöffnetes Sentinel-2-L1C/L2A-Produkt. Es muss die Kanäle enthalten, die das Modell braucht (meist die zehn 10-m- und 20-m-Kanäle B2, B3, B4, B5, B6, B7, B8, B8A, B11, B12), als Reflexion x 10000.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Mitgeliefertes Modell&lt;/b&gt;: wird verwendet, wenn keine Modelldatei angegeben ist. Das Standardmodell {default} ist das Multi-Task-Modell v3: Seine lokalen Klimazonen sind die des So2Sat-LCZ42-ResNet20-Klassifikators (dasselbe Netz, unverändert), und ein Zweig auf demselben Netz kartiert die Siedlungsdichte als Gebäudebedeckung, trainiert mit echten Gebäudegrundrissen von Pisa. Der So2Sat-ResNet20 allein ({lcz_only}) kartiert nur lokale Klimazonen. Zu beiden gibt es eine Modellkarte im Ordner models des Plugins.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Modelldatei&lt;/b&gt;: eine ONNX-Datei, die dem Modellvertrag des Plugins folgt; sie ersetzt das mitgelieferte Modell.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Kanalnamen&lt;/b&gt;: wie die Kanäle gefunden werden. Leer lassen, wenn die Kanäle des Rasters benannt sind (Kanalbeschreibungen oder Metadaten wie B2, B02 oder eine Wellenlänge), so wie GDAL Sentinel-2-Produkte liest. Andernfalls entweder die Kanalnamen in der Kanalreihenfolge des Rasters aufzählen, mit - für einen zu überspringenden Kanal, z. B. &lt;code&gt;B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12&lt;/code&gt; oder &lt;code&gt;-,B2,B3,B4,B5,B6,B7,B8,B8A,-,-,B11,B12&lt;/code&gt; für einen Stapel aus 13 Kanälen, oder Paare aus Name und Kanalnummer angeben, z. B. &lt;code&gt;B2=1,B3=2,B4=3,B8=7&lt;/code&gt;.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Gerät&lt;/b&gt;: wo onnxruntime das Modell ausführt. auto nimmt den ersten verfügbaren Beschleuniger (CUDA, DirectML, CoreML), sonst die CPU; ein nicht verfügbares Gerät zu wählen ist ein Fehler, nie ein stiller Rückfall. Das Protokoll nennt den tatsächlich verwendeten Ausführungsanbieter.&lt;/p&gt;&lt;h3&gt;Ergebnisse&lt;/h3&gt;&lt;p&gt;&lt;b&gt;Lokale Klimazonen&lt;/b&gt;: Byte-GeoTIFF auf einem 100-m-Raster, Werte 1 bis 17 (1-10 bebaute Typen, A-G als 11-17) mit Farbtabelle und Klassennamen; 0 bedeutet keine Daten.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Siedlungsdichte (HSE)&lt;/b&gt;: Float32-GeoTIFF, 0 bis 1 (beim mitgelieferten Modell: der von Gebäuden bedeckte Anteil des Pixels), auf einem 20-m-Raster; wird nur geschrieben, wenn das Modell eine HSE-Ausgabe hat (sonst sagt es das Protokoll).&lt;/p&gt;&lt;p&gt;&lt;b&gt;LCZ-Klassenwahrscheinlichkeiten&lt;/b&gt; (optional): Float32-GeoTIFF mit 17 Kanälen auf dem 100-m-Raster, ein Kanal je Klasse.&lt;/p&gt;&lt;p&gt;Das Modell läuft mit onnxruntime, das in dem Python installiert sein muss, das QGIS verwendet; ohne es bricht der Algorithmus ab und erklärt, wie man es installiert.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>An ONNX model that follows the plugin&apos;s model contract.</source>
        <translation>Ein ONNX-Modell, das dem Modellvertrag des Plugins folgt.</translation>
    </message>
    <message>
        <source>Band names (empty = read from the raster)</source>
        <translation>Kanalnamen (leer = aus dem Raster lesen)</translation>
    </message>
    <message>
        <source>Bundled model</source>
        <translation>Mitgeliefertes Modell</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA (NVIDIA-GPU)</translation>
    </message>
    <message>
        <source>Clouds and cloud shadows are no data in every output, from the product&apos;s own masks where it has them, otherwise from a spectral test (user guide); with several dates they are filled from the other dates.</source>
        <translation>Wolken und Wolkenschatten sind in jeder Ausgabe ohne Daten, nach den Masken des Produkts, wo es welche hat, sonst nach einem spektralen Test (Benutzerhandbuch); bei mehreren Aufnahmen werden sie aus den anderen Aufnahmen gefüllt.</translation>
    </message>
    <message>
        <source>CoreML (Apple)</source>
        <translation>CoreML (Apple)</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>Dates per LCZ cell</source>
        <translation>Aufnahmen je LCZ-Zelle</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <source>DirectML (Windows GPU)</source>
        <translation>DirectML (Windows-GPU)</translation>
    </message>
    <message>
        <source>LCZ class probabilities</source>
        <translation>LCZ-Klassenwahrscheinlichkeiten</translation>
    </message>
    <message>
        <source>LCZ uncertainty</source>
        <translation>LCZ-Unsicherheit</translation>
    </message>
    <message>
        <source>Local climate zones</source>
        <translation>Lokale Klimazonen</translation>
    </message>
    <message>
        <source>Local climate zones (filtered)</source>
        <translation>Lokale Klimazonen (gefiltert)</translation>
    </message>
    <message>
        <source>Map settlement density and local climate zones</source>
        <translation>Siedlungsdichte und lokale Klimazonen kartieren</translation>
    </message>
    <message>
        <source>Maps local climate zones (100 m) and settlement density (20 m) from a Sentinel-2 raster.</source>
        <translation>Kartiert lokale Klimazonen (100 m) und Siedlungsdichte (20 m) aus einem Sentinel-2-Raster.</translation>
    </message>
    <message>
        <source>Mask clouds and cloud shadows</source>
        <translation>Wolken und Wolkenschatten maskieren</translation>
    </message>
    <message>
        <source>Model file (ONNX; replaces the bundled model)</source>
        <translation>Modelldatei (ONNX; ersetzt das mitgelieferte Modell)</translation>
    </message>
    <message>
        <source>More dates of the same place (fused with the first)</source>
        <translation>Weitere Aufnahmen desselben Ortes (mit der ersten zusammengeführt)</translation>
    </message>
    <message>
        <source>Multi-task HSE + LCZ v3 on the So2Sat ResNet20 (default)</source>
        <translation>Multi-Task HSE + LCZ v3 auf dem So2Sat-ResNet20 (Standard)</translation>
    </message>
    <message>
        <source>Names in raster band order with - to skip a band, e.g. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, or name=band number pairs, e.g. B2=1,B3=2,B4=3</source>
        <translation>Namen in der Kanalreihenfolge des Rasters, - überspringt einen Kanal, z. B. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, oder Paare Name=Kanalnummer, z. B. B2=1,B3=2,B4=3</translation>
    </message>
    <message>
        <source>Other Sentinel-2 scenes of the same place; read on the first scene&apos;s grid. LCZ from the mean of the dates&apos; class probabilities, HSE from their median.</source>
        <translation>Andere Sentinel-2-Szenen desselben Ortes; auf dem Raster der ersten Szene gelesen. LCZ aus dem Mittel der Klassenwahrscheinlichkeiten, HSE aus ihrem Median.</translation>
    </message>
    <message>
        <source>Sentinel-2</source>
        <translation>Sentinel-2</translation>
    </message>
    <message>
        <source>Sentinel-2 raster</source>
        <translation>Sentinel-2-Raster</translation>
    </message>
    <message>
        <source>Settlement density (HSE)</source>
        <translation>Siedlungsdichte (HSE)</translation>
    </message>
    <message>
        <source>So2Sat LCZ42 ResNet20: LCZ only</source>
        <translation>So2Sat LCZ42 ResNet20: nur LCZ</translation>
    </message>
    <message>
        <source>So2Sat ResNet20</source>
        <translation>So2Sat ResNet20</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>The model {name} has no {output} output, so the layer &apos;{layer}&apos; is not made (give it a file name with a model that has one, e.g. the bundled multi-task model).</source>
        <translation>Das Modell {name} hat keine {output}-Ausgabe, daher wird die Ebene &apos;{layer}&apos; nicht erstellt (geben Sie ihr einen Dateinamen zusammen mit einem Modell, das sie hat, z. B. dem mitgelieferten Multi-Task-Modell).</translation>
    </message>
    <message>
        <source>auto (first available accelerator, else CPU)</source>
        <translation>auto (erster verfügbarer Beschleuniger, sonst CPU)</translation>
    </message>
    <message>
        <source>multi-task v3</source>
        <translation>Multi-Task v3</translation>
    </message>
    <message>
        <source>sentinel-2,settlement,built-up,hse,lcz,local climate zones,urban,land cover,classification,deep learning,onnx</source>
        <translation>sentinel-2,siedlung,bebauung,hse,lcz,lokale klimazonen,stadt,landbedeckung,klassifikation,deep learning,onnx</translation>
    </message>
    <message>
        <source>{layer}: {made_by}</source>
        <translation>{layer}: {made_by}</translation>
    </message>
    <message>
        <source>{model}, adapted to {areas}</source>
        <translation>{model}, angepasst an {areas}</translation>
    </message>
    <message>
        <source>{reason} Choose the Device {options} in the algorithm dialog; with qgis_process or processing.run, {numbers}.</source>
        <translation>{reason} Wählen Sie im Dialog des Algorithmus das Gerät {options}; mit qgis_process oder processing.run {numbers}.</translation>
    </message>
    <message>
        <source>{scene} ({how})</source>
        <translation>{scene} ({how})</translation>
    </message>
    <message>
        <source>{scene} + {count} more date(s)</source>
        <translation>{scene} + {count} weitere Aufnahme(n)</translation>
    </message>
</context>
<context>
    <name>MapGrowthAlgorithm</name>
    <message>
        <source> or </source>
        <translation> oder </translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Reference sample of new built-up&lt;/b&gt; (optional, with its field): points (or polygons) whose field says whether the place really became built-up (1/0, yes/no, true/false). The results then give the error-adjusted area of new built-up with its 95 % confidence interval (Olofsson et al. 2014), beside the pixel count. Draw the sample at random within each stratum (new built-up, and the rest), then label each point from the images: a sample that is not random (e.g. places you chose) gives a biased estimate.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Referenzstichprobe neuer Bebauung&lt;/b&gt; (optional, mit ihrem Feld): Punkte (oder Polygone), deren Feld sagt, ob der Ort wirklich bebaut wurde (1/0, ja/nein, true/false). Die Ergebnisse geben dann die fehlerbereinigte Fläche neuer Bebauung mit ihrem 95-%-Konfidenzintervall (Olofsson et al. 2014) neben der Pixelzählung an. Ziehen Sie die Stichprobe zufällig innerhalb jeder Schicht (neue Bebauung und der Rest) und beschriften Sie dann jeden Punkt anhand der Bilder: Eine nicht zufällige Stichprobe (z. B. selbst gewählte Orte) ergibt eine verzerrte Schätzung.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Runs a model with a settlement density (HSE) output on an &lt;b&gt;earlier&lt;/b&gt; and a &lt;b&gt;later&lt;/b&gt; scene of the same place (the later one read on the earlier one&apos;s grid) and writes their difference per 20 m pixel (later minus earlier, -1 to 1; blue loss, red growth) and, optionally, a layer of &lt;b&gt;new built-up&lt;/b&gt; pixels: density below &lt;i&gt;not built&lt;/i&gt; (0.2) before and at least &lt;i&gt;built&lt;/i&gt; (0.5) after (and built-up lost the other way round). Two thresholds with a gap, so that a density wobbling between seasons does not read as growth. The results give the areas in km2.&lt;/p&gt;&lt;p&gt;The default model is the bundled multi-task model v3 (the So2Sat model alone has no HSE); its density is building cover. Where nothing was built between the dates it still moves a little (its model card gives how much): read small changes as noise, and check growth against the images.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Rechnet ein Modell mit Siedlungsdichte-Ausgabe (HSE) auf einer &lt;b&gt;früheren&lt;/b&gt; und einer &lt;b&gt;späteren&lt;/b&gt; Szene desselben Ortes (die spätere auf dem Raster der früheren gelesen) und schreibt ihre Differenz je 20-m-Pixel (später minus früher, -1 bis 1; blau Verlust, rot Wachstum) und wahlweise eine Ebene &lt;b&gt;neu bebauter&lt;/b&gt; Pixel: Dichte vorher unter &lt;i&gt;nicht bebaut&lt;/i&gt; (0,2) und nachher mindestens &lt;i&gt;bebaut&lt;/i&gt; (0,5) (und verlorene Bebauung umgekehrt). Zwei Schwellen mit Abstand, damit eine mit den Jahreszeiten schwankende Dichte nicht als Wachstum gilt. Die Ergebnisse nennen die Flächen in km2.&lt;/p&gt;&lt;p&gt;Voreingestellt ist das mitgelieferte Multi-Task-Modell v3 (das So2Sat-Modell allein hat keine HSE). Seine Dichte ist die Gebäudebedeckung. Wo zwischen den Aufnahmen nichts gebaut wurde, schwankt sie dennoch etwas (wie viel, steht in seiner Modellkarte): Lesen Sie kleine Änderungen als Rauschen und prüfen Sie Wachstum an den Bildern.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>An ONNX model that follows the plugin&apos;s model contract.</source>
        <translation>Ein ONNX-Modell, das dem Modellvertrag des Plugins folgt.</translation>
    </message>
    <message>
        <source>Area compared (km2)</source>
        <translation>Verglichene Fläche (km2)</translation>
    </message>
    <message>
        <source>Band names (empty = read from the raster)</source>
        <translation>Kanalnamen (leer = aus dem Raster lesen)</translation>
    </message>
    <message>
        <source>Built from (later density)</source>
        <translation>Bebaut ab (spätere Dichte)</translation>
    </message>
    <message>
        <source>Built-up area lost (km2)</source>
        <translation>Verlorene bebaute Fläche (km2)</translation>
    </message>
    <message>
        <source>Bundled model</source>
        <translation>Mitgeliefertes Modell</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA (NVIDIA-GPU)</translation>
    </message>
    <message>
        <source>Clouds and cloud shadows are no data in both scenes, from the product&apos;s own masks where it has them, otherwise from a spectral test (user guide): they count neither as growth nor as loss.</source>
        <translation>Wolken und Wolkenschatten sind in beiden Szenen ohne Daten, nach den Masken des Produkts, wo es welche hat, sonst nach einem spektralen Test (Benutzerhandbuch): Sie zählen weder als Zuwachs noch als Verlust.</translation>
    </message>
    <message>
        <source>CoreML (Apple)</source>
        <translation>CoreML (Apple)</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <source>DirectML (Windows GPU)</source>
        <translation>DirectML (Windows-GPU)</translation>
    </message>
    <message>
        <source>Earlier Sentinel-2 scene</source>
        <translation>Frühere Sentinel-2-Szene</translation>
    </message>
    <message>
        <source>Field: really new built-up (1/0)</source>
        <translation>Feld: wirklich neu bebaut (1/0)</translation>
    </message>
    <message>
        <source>Give the field of the reference sample that says whether each place really became built-up (NEW_BUILT_SAMPLE_FIELD).</source>
        <translation>Geben Sie das Feld der Referenzstichprobe an, das sagt, ob jeder Ort wirklich bebaut wurde (NEW_BUILT_SAMPLE_FIELD).</translation>
    </message>
    <message>
        <source>Its 95 % confidence interval, +- (km2)</source>
        <translation>Ihr 95-%-Konfidenzintervall, +- (km2)</translation>
    </message>
    <message>
        <source>Later Sentinel-2 scene</source>
        <translation>Spätere Sentinel-2-Szene</translation>
    </message>
    <message>
        <source>Map settlement growth between two dates</source>
        <translation>Siedlungswachstum zwischen zwei Aufnahmen kartieren</translation>
    </message>
    <message>
        <source>Mask clouds and cloud shadows</source>
        <translation>Wolken und Wolkenschatten maskieren</translation>
    </message>
    <message>
        <source>Model file (ONNX; replaces the bundled model)</source>
        <translation>Modelldatei (ONNX; ersetzt das mitgelieferte Modell)</translation>
    </message>
    <message>
        <source>Multi-task HSE + LCZ v3 on the So2Sat ResNet20 (default)</source>
        <translation>Multi-Task HSE + LCZ v3 auf dem So2Sat-ResNet20 (Standard)</translation>
    </message>
    <message>
        <source>Names in raster band order with - to skip a band, e.g. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, or name=band number pairs, e.g. B2=1,B3=2,B4=3</source>
        <translation>Namen in der Kanalreihenfolge des Rasters, - überspringt einen Kanal, z. B. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, oder Paare Name=Kanalnummer, z. B. B2=1,B3=2,B4=3</translation>
    </message>
    <message>
        <source>New built-up</source>
        <translation>Neu bebaut</translation>
    </message>
    <message>
        <source>New built-up area (km2)</source>
        <translation>Neu bebaute Fläche (km2)</translation>
    </message>
    <message>
        <source>New built-up area, error-adjusted with the sample (km2)</source>
        <translation>Neu bebaute Fläche, mit der Stichprobe fehlerbereinigt (km2)</translation>
    </message>
    <message>
        <source>Not built below (earlier density)</source>
        <translation>Nicht bebaut unter (frühere Dichte)</translation>
    </message>
    <message>
        <source>Reference sample of new built-up (points or polygons)</source>
        <translation>Referenzstichprobe neuer Bebauung (Punkte oder Polygone)</translation>
    </message>
    <message>
        <source>Sentinel-2</source>
        <translation>Sentinel-2</translation>
    </message>
    <message>
        <source>Settlement density change</source>
        <translation>Änderung der Siedlungsdichte</translation>
    </message>
    <message>
        <source>Settlement density of an earlier and a later scene, their difference and new built-up areas.</source>
        <translation>Siedlungsdichte einer früheren und einer späteren Szene, ihre Differenz und neu bebaute Flächen.</translation>
    </message>
    <message>
        <source>So2Sat LCZ42 ResNet20: LCZ only</source>
        <translation>So2Sat LCZ42 ResNet20: nur LCZ</translation>
    </message>
    <message>
        <source>So2Sat ResNet20</source>
        <translation>So2Sat ResNet20</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>auto (first available accelerator, else CPU)</source>
        <translation>auto (erster verfügbarer Beschleuniger, sonst CPU)</translation>
    </message>
    <message>
        <source>multi-task v3</source>
        <translation>Multi-Task v3</translation>
    </message>
    <message>
        <source>sentinel-2,settlement,built-up,hse,lcz,local climate zones,urban,land cover,classification,deep learning,onnx</source>
        <translation>sentinel-2,siedlung,bebauung,hse,lcz,lokale klimazonen,stadt,landbedeckung,klassifikation,deep learning,onnx</translation>
    </message>
    <message>
        <source>{layer}: {earlier} to {later} ({how})</source>
        <translation>{layer}: {earlier} bis {later} ({how})</translation>
    </message>
    <message>
        <source>{reason} Choose the Device {options} in the algorithm dialog; with qgis_process or processing.run, {numbers}.</source>
        <translation>{reason} Wählen Sie im Dialog des Algorithmus das Gerät {options}; mit qgis_process oder processing.run {numbers}.</translation>
    </message>
</context>
<context>
    <name>MapTrainingAreasAlgorithm</name>
    <message>
        <source> or </source>
        <translation> oder </translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;More dates&lt;/b&gt;: the training cells of every date fit one adapter (a polygon&apos;s cells of all dates stay in one cross-validation fold), and the adapted dates are fused as in the mapping algorithm.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;Weitere Aufnahmen&lt;/b&gt;: Die Trainingszellen aller Aufnahmen passen einen gemeinsamen Adapter an (die Zellen eines Polygons bleiben über alle Aufnahmen in einer Falte der Kreuzvalidierung), und die angepassten Aufnahmen werden wie im Kartierungsalgorithmus zusammengeführt.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;WUDAPT training-area file&lt;/b&gt;: instead of a layer, give the KML or KMZ of the WUDAPT / LCZ Generator template (one folder per class, named e.g. &apos;LCZ 1&apos;, &apos;1 Compact high-rise&apos;, &apos;A&apos; or &apos;G Water&apos;); the folder&apos;s name is the class. Give either a layer or a file.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Suspicious training areas&lt;/b&gt;: a layer of the polygons whose cells the cross-validated adapter puts, for the most part, in one other class with a mean probability of at least 0.6, and of the polygons that overlap a polygon of another class; check them before trusting the map.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Splits as the LCZ Generator&lt;/b&gt;: the accuracy is also computed as the LCZ Generator reports it (25 random stratified 70/30 splits of the polygons; mean, 95 % interval, boxplot and mean confusion matrix in the report), so the two tools can be compared; 0 switches it off.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;WUDAPT-Trainingsgebietsdatei&lt;/b&gt;: statt eines Layers die KML oder KMZ der WUDAPT-/LCZ-Generator-Vorlage (ein Ordner je Klasse, benannt z. B. &apos;LCZ 1&apos;, &apos;1 Compact high-rise&apos;, &apos;A&apos; oder &apos;G Water&apos;); der Name des Ordners ist die Klasse. Geben Sie entweder einen Layer oder eine Datei an.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Verdächtige Trainingsgebiete&lt;/b&gt;: ein Layer der Polygone, deren Zellen der kreuzvalidierte Adapter größtenteils einer anderen Klasse mit einer mittleren Wahrscheinlichkeit von mindestens 0,6 zuordnet, und der Polygone, die ein Polygon einer anderen Klasse überlappen; prüfen Sie sie, bevor Sie der Karte vertrauen.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Aufteilungen wie der LCZ Generator&lt;/b&gt;: die Genauigkeit wird auch so berechnet, wie der LCZ Generator sie angibt (25 zufällige, nach Klassen geschichtete 70/30-Aufteilungen der Polygone; Mittelwert, 95-%-Intervall, Boxplot und mittlere Konfusionsmatrix im Bericht), damit sich die beiden Werkzeuge vergleichen lassen; 0 schaltet sie ab.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;The WUDAPT way of mapping a city&apos;s local climate zones, on top of the model: you digitise a few homogeneous &lt;b&gt;training areas&lt;/b&gt; per LCZ class (polygons spanning several 100 m cells), and a small classifier is fitted on the model&apos;s own features of the 100 m cells inside them (its class log-probabilities and, for the So2Sat ResNet20, its 256 penultimate features). The map is then made with that classifier. Where the model sees a class you gave no training area for, and the cell does not resemble any of your classes, the model&apos;s own label is kept.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Class field&lt;/b&gt;: LCZ codes 1-17 (11-17 for A-G) or labels 1-10 and A-G, optionally written &apos;LCZ 1&apos; or &apos;LCZ A&apos;. Other values are refused.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Honest self-assessment&lt;/b&gt;: the log and the report give the accuracy of the adapted map &lt;i&gt;cross-validated by polygon&lt;/i&gt;: each fold leaves out whole training areas, never single cells (neighbouring cells of one polygon are near-copies). The model alone on the same cells is shown beside it. Warnings name classes with fewer than 3 areas, areas too small for a 100 m cell, and areas of different classes that overlap.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Saved adapter&lt;/b&gt;: save the fitted adapter (.json) and apply it to other scenes of the city with the same model, instead of training areas.&lt;/p&gt;&lt;p&gt;Other parameters and the outputs are those of &lt;i&gt;Map settlement density and local climate zones&lt;/i&gt;.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Die WUDAPT-Methode, die lokalen Klimazonen einer Stadt zu kartieren, aufbauend auf dem Modell: Sie digitalisieren je LCZ-Klasse einige homogene &lt;b&gt;Trainingsgebiete&lt;/b&gt; (Polygone über mehrere 100-m-Zellen), und ein kleiner Klassifikator wird auf den Merkmalen des Modells in den 100-m-Zellen darin angepasst (seine logarithmierten Klassenwahrscheinlichkeiten und, beim So2Sat ResNet20, seine 256 vorletzten Merkmale). Mit diesem Klassifikator wird dann die Karte erstellt. Wo das Modell eine Klasse sieht, für die Sie kein Trainingsgebiet angegeben haben, und die Zelle keiner Ihrer Klassen ähnelt, bleibt die Klasse des Modells.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Klassenfeld&lt;/b&gt;: LCZ-Codes 1-17 (11-17 für A-G) oder die Bezeichnungen 1-10 und A-G, wahlweise als &apos;LCZ 1&apos; oder &apos;LCZ A&apos;. Andere Werte werden abgewiesen.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Ehrliche Selbstbewertung&lt;/b&gt;: Protokoll und Bericht geben die Genauigkeit der angepassten Karte &lt;i&gt;kreuzvalidiert nach Polygonen&lt;/i&gt; an: jede Falte lässt ganze Trainingsgebiete aus, nie einzelne Zellen (benachbarte Zellen eines Polygons sind fast Kopien). Daneben steht das Modell allein auf denselben Zellen. Warnungen nennen Klassen mit weniger als 3 Gebieten, Gebiete, die für eine 100-m-Zelle zu klein sind, und sich überlappende Gebiete verschiedener Klassen.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Gespeicherter Adapter&lt;/b&gt;: Speichern Sie den angepassten Adapter (.json) und wenden Sie ihn statt Trainingsgebieten auf andere Szenen der Stadt mit demselben Modell an.&lt;/p&gt;&lt;p&gt;Die übrigen Parameter und die Ausgaben sind die von &lt;i&gt;Siedlungsdichte und lokale Klimazonen kartieren&lt;/i&gt;.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Adapts the model&apos;s LCZ map to training areas digitised over the city (WUDAPT-style).</source>
        <translation>Passt die LCZ-Karte des Modells an Trainingsgebiete an, die über der Stadt digitalisiert wurden (nach WUDAPT).</translation>
    </message>
    <message>
        <source>An ONNX model that follows the plugin&apos;s model contract.</source>
        <translation>Ein ONNX-Modell, das dem Modellvertrag des Plugins folgt.</translation>
    </message>
    <message>
        <source>Band names (empty = read from the raster)</source>
        <translation>Kanalnamen (leer = aus dem Raster lesen)</translation>
    </message>
    <message>
        <source>Bundled model</source>
        <translation>Mitgeliefertes Modell</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA (NVIDIA-GPU)</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>Choose the field that holds the LCZ class of each training area.</source>
        <translation>Wählen Sie das Feld, das die LCZ-Klasse jedes Trainingsgebiets enthält.</translation>
    </message>
    <message>
        <source>Clouds and cloud shadows are no data in every output, from the product&apos;s own masks where it has them, otherwise from a spectral test (user guide); with several dates they are filled from the other dates.</source>
        <translation>Wolken und Wolkenschatten sind in jeder Ausgabe ohne Daten, nach den Masken des Produkts, wo es welche hat, sonst nach einem spektralen Test (Benutzerhandbuch); bei mehreren Aufnahmen werden sie aus den anderen Aufnahmen gefüllt.</translation>
    </message>
    <message>
        <source>CoreML (Apple)</source>
        <translation>CoreML (Apple)</translation>
    </message>
    <message>
        <source>Could not apply the style {qml}: {message}</source>
        <translation>Der Stil {qml} konnte nicht angewendet werden: {message}</translation>
    </message>
    <message>
        <source>Cross-validated Kappa of the adapted map on the training areas</source>
        <translation>Kreuzvalidiertes Kappa der angepassten Karte auf den Trainingsgebieten</translation>
    </message>
    <message>
        <source>Cross-validated OA of the adapted map on the training areas</source>
        <translation>Kreuzvalidierte OA der angepassten Karte auf den Trainingsgebieten</translation>
    </message>
    <message>
        <source>Cross-validation folds (by polygon)</source>
        <translation>Falten der Kreuzvalidierung (nach Polygonen)</translation>
    </message>
    <message>
        <source>Cross-validation report</source>
        <translation>Bericht der Kreuzvalidierung</translation>
    </message>
    <message>
        <source>Dates per LCZ cell</source>
        <translation>Aufnahmen je LCZ-Zelle</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <source>DirectML (Windows GPU)</source>
        <translation>DirectML (Windows-GPU)</translation>
    </message>
    <message>
        <source>Fitted adapter</source>
        <translation>Angepasster Adapter</translation>
    </message>
    <message>
        <source>Give the training areas either as a polygon layer or as a WUDAPT KML/KMZ file, not both.</source>
        <translation>Geben Sie die Trainingsgebiete entweder als Polygonlayer oder als WUDAPT-KML/KMZ-Datei an, nicht beides.</translation>
    </message>
    <message>
        <source>HTML files (*.html)</source>
        <translation>HTML-Dateien (*.html)</translation>
    </message>
    <message>
        <source>JSON files (*.json)</source>
        <translation>JSON-Dateien (*.json)</translation>
    </message>
    <message>
        <source>Kappa of the model alone on the same cells</source>
        <translation>Kappa des Modells allein auf denselben Zellen</translation>
    </message>
    <message>
        <source>LCZ class field of the training areas</source>
        <translation>LCZ-Klassenfeld der Trainingsgebiete</translation>
    </message>
    <message>
        <source>LCZ class probabilities</source>
        <translation>LCZ-Klassenwahrscheinlichkeiten</translation>
    </message>
    <message>
        <source>LCZ uncertainty</source>
        <translation>LCZ-Unsicherheit</translation>
    </message>
    <message>
        <source>Local climate zones</source>
        <translation>Lokale Klimazonen</translation>
    </message>
    <message>
        <source>Local climate zones (filtered)</source>
        <translation>Lokale Klimazonen (gefiltert)</translation>
    </message>
    <message>
        <source>Map local climate zones with local training areas</source>
        <translation>Lokale Klimazonen mit lokalen Trainingsgebieten kartieren</translation>
    </message>
    <message>
        <source>Mask clouds and cloud shadows</source>
        <translation>Wolken und Wolkenschatten maskieren</translation>
    </message>
    <message>
        <source>Mean OA over the stratified 70/30 splits (as the LCZ Generator reports it)</source>
        <translation>Mittlere OA über die geschichteten 70/30-Aufteilungen (wie der LCZ Generator sie angibt)</translation>
    </message>
    <message>
        <source>Mean OAbu over the stratified 70/30 splits</source>
        <translation>Mittlere OAbu über die geschichteten 70/30-Aufteilungen</translation>
    </message>
    <message>
        <source>Mean OAu over the stratified 70/30 splits</source>
        <translation>Mittlere OAu über die geschichteten 70/30-Aufteilungen</translation>
    </message>
    <message>
        <source>Mean OAw over the stratified 70/30 splits</source>
        <translation>Mittlere OAw über die geschichteten 70/30-Aufteilungen</translation>
    </message>
    <message>
        <source>Model file (ONNX; replaces the bundled model)</source>
        <translation>Modelldatei (ONNX; ersetzt das mitgelieferte Modell)</translation>
    </message>
    <message>
        <source>More dates of the same place (fused with the first)</source>
        <translation>Weitere Aufnahmen desselben Ortes (mit der ersten zusammengeführt)</translation>
    </message>
    <message>
        <source>Multi-task HSE + LCZ v3 on the So2Sat ResNet20 (default)</source>
        <translation>Multi-Task HSE + LCZ v3 auf dem So2Sat-ResNet20 (Standard)</translation>
    </message>
    <message>
        <source>Names in raster band order with - to skip a band, e.g. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, or name=band number pairs, e.g. B2=1,B3=2,B4=3</source>
        <translation>Namen in der Kanalreihenfolge des Rasters, - überspringt einen Kanal, z. B. B2,B3,B4,B5,B6,B7,B8,B8A,B11,B12, oder Paare Name=Kanalnummer, z. B. B2=1,B3=2,B4=3</translation>
    </message>
    <message>
        <source>OA of the model alone on the same cells</source>
        <translation>OA des Modells allein auf denselben Zellen</translation>
    </message>
    <message>
        <source>Other Sentinel-2 scenes of the same place; read on the first scene&apos;s grid. LCZ from the mean of the dates&apos; class probabilities, HSE from their median.</source>
        <translation>Andere Sentinel-2-Szenen desselben Ortes; auf dem Raster der ersten Szene gelesen. LCZ aus dem Mittel der Klassenwahrscheinlichkeiten, HSE aus ihrem Median.</translation>
    </message>
    <message>
        <source>Saved adapter to apply instead (.json)</source>
        <translation>Stattdessen anzuwendender gespeicherter Adapter (.json)</translation>
    </message>
    <message>
        <source>Sentinel-2</source>
        <translation>Sentinel-2</translation>
    </message>
    <message>
        <source>Sentinel-2 raster</source>
        <translation>Sentinel-2-Raster</translation>
    </message>
    <message>
        <source>Settlement density (HSE)</source>
        <translation>Siedlungsdichte (HSE)</translation>
    </message>
    <message>
        <source>So2Sat LCZ42 ResNet20: LCZ only</source>
        <translation>So2Sat LCZ42 ResNet20: nur LCZ</translation>
    </message>
    <message>
        <source>So2Sat ResNet20</source>
        <translation>So2Sat ResNet20</translation>
    </message>
    <message>
        <source>Splits as the LCZ Generator (stratified 70/30 by polygon; 0 = off)</source>
        <translation>Aufteilungen wie der LCZ Generator (geschichtet 70/30 nach Polygonen; 0 = aus)</translation>
    </message>
    <message>
        <source>Suspicious training areas</source>
        <translation>Verdächtige Trainingsgebiete</translation>
    </message>
    <message>
        <source>Suspicious training areas: {areas}</source>
        <translation>Verdächtige Trainingsgebiete: {areas}</translation>
    </message>
    <message>
        <source>The input layer {name} is not a file raster read by GDAL (provider {provider}).</source>
        <translation>Der Eingabelayer {name} ist kein von GDAL gelesenes Dateiraster (Datenanbieter {provider}).</translation>
    </message>
    <message>
        <source>The model {name} has no {output} output, so the layer &apos;{layer}&apos; is not made (give it a file name with a model that has one, e.g. the bundled multi-task model).</source>
        <translation>Das Modell {name} hat keine {output}-Ausgabe, daher wird die Ebene &apos;{layer}&apos; nicht erstellt (geben Sie ihr einen Dateinamen zusammen mit einem Modell, das sie hat, z. B. dem mitgelieferten Multi-Task-Modell).</translation>
    </message>
    <message>
        <source>The polygon layer has no field {field}.</source>
        <translation>Die Polygonebene hat kein Feld {field}.</translation>
    </message>
    <message>
        <source>Training areas (polygons)</source>
        <translation>Trainingsgebiete (Polygone)</translation>
    </message>
    <message>
        <source>Training areas as a WUDAPT KML/KMZ file (one folder per class)</source>
        <translation>Trainingsgebiete als WUDAPT-KML/KMZ-Datei (ein Ordner je Klasse)</translation>
    </message>
    <message>
        <source>WUDAPT training areas (*.kml *.kmz *.KML *.KMZ)</source>
        <translation>WUDAPT-Trainingsgebiete (*.kml *.kmz *.KML *.KMZ)</translation>
    </message>
    <message>
        <source>auto (first available accelerator, else CPU)</source>
        <translation>auto (erster verfügbarer Beschleuniger, sonst CPU)</translation>
    </message>
    <message>
        <source>multi-task v3</source>
        <translation>Multi-Task v3</translation>
    </message>
    <message>
        <source>sentinel-2,settlement,built-up,hse,lcz,local climate zones,urban,land cover,classification,deep learning,onnx</source>
        <translation>sentinel-2,siedlung,bebauung,hse,lcz,lokale klimazonen,stadt,landbedeckung,klassifikation,deep learning,onnx</translation>
    </message>
    <message>
        <source>{count} suspicious training area(s) (see the layer of suspicious training areas): polygon number(s) {numbers}.</source>
        <translation>{count} verdächtige(s) Trainingsgebiet(e) (siehe den Layer der verdächtigen Trainingsgebiete): Polygonnummer(n) {numbers}.</translation>
    </message>
    <message>
        <source>{layer}: {made_by}</source>
        <translation>{layer}: {made_by}</translation>
    </message>
    <message>
        <source>{model}, adapted to {areas}</source>
        <translation>{model}, angepasst an {areas}</translation>
    </message>
    <message>
        <source>{reason} Choose the Device {options} in the algorithm dialog; with qgis_process or processing.run, {numbers}.</source>
        <translation>{reason} Wählen Sie im Dialog des Algorithmus das Gerät {options}; mit qgis_process oder processing.run {numbers}.</translation>
    </message>
    <message>
        <source>{scene} ({how})</source>
        <translation>{scene} ({how})</translation>
    </message>
    <message>
        <source>{scene} + {count} more date(s)</source>
        <translation>{scene} + {count} weitere Aufnahme(n)</translation>
    </message>
</context>
<context>
    <name>Engine</name>
    <message>
        <source>The earlier scene: {problem}</source>
        <translation>Die frühere Szene: {problem}</translation>
    </message>
    <message>
        <source>The later scene: {problem}</source>
        <translation>Die spätere Szene: {problem}</translation>
    </message>
    <message>
        <source>The model &apos;{name}&apos; has no HSE output, so it cannot map settlement growth; choose the multi-task model (BUNDLED_MODEL=1) or another model with an HSE output.</source>
        <translation>Das Modell &apos;{name}&apos; hat keine HSE-Ausgabe und kann daher kein Siedlungswachstum kartieren; wählen Sie das Multi-Task-Modell (BUNDLED_MODEL=1) oder ein anderes Modell mit HSE-Ausgabe.</translation>
    </message>
    <message>
        <source>Settlement growth: {growth:.3f} km2 new built-up, {loss:.3f} km2 lost, over {area:.1f} km2 compared (mean |change| {mean:.3f}).</source>
        <translation>Siedlungswachstum: {growth:.3f} km2 neu bebaut, {loss:.3f} km2 verloren, auf {area:.1f} km2 verglichen (mittlere |Änderung| {mean:.3f}).</translation>
    </message>
    <message>
        <source>LCZ uncertainty</source>
        <translation>LCZ-Unsicherheit</translation>
    </message>
    <message>
        <source>Dates per LCZ cell</source>
        <translation>Aufnahmen je LCZ-Zelle</translation>
    </message>
    <message>
        <source>{dates} dates fused: LCZ from the mean probabilities, HSE from the median.</source>
        <translation>{dates} Aufnahmen zusammengeführt: LCZ aus den mittleren Wahrscheinlichkeiten, HSE aus dem Median.</translation>
    </message>
    <message>
        <source>Date {number} of {count}: {source}</source>
        <translation>Aufnahme {number} von {count}: {source}</translation>
    </message>
    <message>
        <source>Date {number} ({source}): {problem}</source>
        <translation>Aufnahme {number} ({source}): {problem}</translation>
    </message>
    <message>
        <source>Date {number} ({source})</source>
        <translation>Aufnahme {number} ({source})</translation>
    </message>
    <message>
        <source>The layer {layer} holds {found} besides its polygons: {what} must be polygons, so they were skipped.</source>
        <translation>Die Ebene {layer} enthält neben ihren Polygonen {found}: {what} müssen Polygone sein, daher wurden diese übersprungen.</translation>
    </message>
    <message>
        <source>{invalid} polygon(s) of {layer} were invalid (self-intersecting, or with no area): {repaired} repaired (made valid), {skipped} skipped (nothing of them was left). Check them in QGIS (Vector &gt; Geometry Tools &gt; Check Validity).</source>
        <translation>{invalid} Polygon(e) von {layer} waren ungültig (selbstüberschneidend oder ohne Fläche): {repaired} repariert (gültig gemacht), {skipped} übersprungen (von ihnen blieb nichts übrig). Prüfen Sie sie in QGIS (Vektor &gt; Geometrie-Werkzeuge &gt; Gültigkeit prüfen).</translation>
    </message>
    <message>
        <source>{label}: {warning}</source>
        <translation>{label}: {warning}</translation>
    </message>
    <message>
        <source>The earlier scene</source>
        <translation>Die frühere Szene</translation>
    </message>
    <message>
        <source>The later scene</source>
        <translation>Die spätere Szene</translation>
    </message>
    <message>
        <source>BANDS (given for the first date) was applied to this date, but its own band names say otherwise ({differ}). If its bands are in another order, give one mapping per date separated by |.</source>
        <translation>BANDS (für die erste Aufnahme angegeben) wurde auf diese Aufnahme angewandt, aber ihre eigenen Bandnamen sagen etwas anderes ({differ}). Liegen ihre Bänder in anderer Reihenfolge vor, geben Sie je Aufnahme eine Zuordnung an, getrennt durch |.</translation>
    </message>
    <message>
        <source>It does not overlap the first date: none of it falls on the first date&apos;s area, so it adds nothing. Give scenes of the same place.</source>
        <translation>Sie überlappt die erste Aufnahme nicht: nichts von ihr fällt in das Gebiet der ersten Aufnahme, sie trägt also nichts bei. Geben Sie Szenen desselben Ortes an.</translation>
    </message>
    <message>
        <source>It overlaps the first date, but where it does, every pixel is no data (or 0) in at least one of the bands the model reads: check this date&apos;s band order (BANDS).</source>
        <translation>Sie überlappt die erste Aufnahme, aber dort ist jedes Pixel in mindestens einem der Bänder, die das Modell liest, ohne Daten (oder 0): Prüfen Sie die Bandreihenfolge dieser Aufnahme (BANDS).</translation>
    </message>
    <message>
        <source>Later dates are read on the first date&apos;s grid: this date does not overlap the first one, or has no data where it does.</source>
        <translation>Weitere Aufnahmen werden auf dem Raster der ersten gelesen: Diese Aufnahme überlappt die erste nicht oder hat dort keine Daten.</translation>
    </message>
    <message>
        <source>The input is warped onto the working grid of the first date ({width} x {height} pixels).</source>
        <translation>Die Eingabe wird auf das Arbeitsraster der ersten Aufnahme umprojiziert ({width} x {height} Pixel).</translation>
    </message>
    <message>
        <source>Model: {name} {version} ({kind}, {path}); execution provider: {provider}</source>
        <translation>Modell: {name} {version} ({kind}, {path}); Ausführungsanbieter: {provider}</translation>
    </message>
    <message>
        <source>The model &apos;{name}&apos; has no {output} output: the layer &apos;{layer}&apos; was not produced. Choose a model with that output to map it (the bundled multi-task model has one).</source>
        <translation>Das Modell &apos;{name}&apos; hat keine {output}-Ausgabe: Der Layer &apos;{layer}&apos; wurde nicht erzeugt. Wählen Sie ein Modell mit dieser Ausgabe, um ihn zu kartieren (das mitgelieferte Multi-Task-Modell hat eine).</translation>
    </message>
    <message>
        <source>Working grid: {width} x {height} pixels at {gsd:g} m.</source>
        <translation>Arbeitsraster: {width} x {height} Pixel zu {gsd:g} m.</translation>
    </message>
    <message>
        <source>The input looks like {found} but the model expects {expected}; expect degraded results.</source>
        <translation>Die Eingabe sieht nach {found} aus, das Modell erwartet aber {expected}; die Ergebnisse werden schlechter sein.</translation>
    </message>
    <message>
        <source>The processing level of the input is unknown; the model expects {expected}.</source>
        <translation>Die Prozessierungsstufe der Eingabe ist unbekannt; das Modell erwartet {expected}.</translation>
    </message>
    <message>
        <source>The 10 m bands ({bands}) change smoothly (or not at all) from pixel to pixel, as in a raster of about 40 m or coarser resampled to a finer grid: the models need Sentinel-2&apos;s own 10 m detail, so expect an unreliable map. Use the original Sentinel-2 bands.</source>
        <translation>Die 10-m-Bänder ({bands}) ändern sich von Pixel zu Pixel nur glatt (oder gar nicht), wie bei einem Raster von etwa 40 m oder gröber, das auf ein feineres Raster umgerechnet wurde: Die Modelle brauchen die eigenen 10-m-Details von Sentinel-2, die Karte wird daher unzuverlässig sein. Verwenden Sie die ursprünglichen Sentinel-2-Bänder.</translation>
    </message>
    <message>
        <source>The input pixels are {x:.3g} x {y:.3g} m on the ground, far from the model&apos;s {gsd:g} m: the models learnt from Sentinel-2&apos;s 10 m and 20 m bands, so a raster of another resolution (or another sensor) gives an unreliable map.</source>
        <translation>Die Eingabepixel sind am Boden {x:.3g} x {y:.3g} m groß, weit entfernt von den {gsd:g} m des Modells: Die Modelle haben aus den 10-m- und 20-m-Bändern von Sentinel-2 gelernt, ein Raster anderer Auflösung (oder eines anderen Sensors) ergibt daher eine unzuverlässige Karte.</translation>
    </message>
    <message>
        <source>B8 (near infrared) is darker than B4 (red) in {share:.0%} of the sampled pixels and none looks like vegetation (B8 well above B4): the bands are probably in the wrong order. Check the band names or the BANDS parameter (unless the scene is almost all water).</source>
        <translation>B8 (nahes Infrarot) ist in {share:.0%} der Stichprobenpixel dunkler als B4 (Rot), und keines sieht nach Vegetation aus (B8 deutlich über B4): Die Bänder stehen wahrscheinlich in falscher Reihenfolge. Prüfen Sie die Bandnamen oder den Parameter BANDS (sofern die Szene nicht fast nur Wasser zeigt).</translation>
    </message>
    <message>
        <source>{band}: {file} band {index} (from its {how})</source>
        <translation>{band}: {file} Band {index} (aus: {how})</translation>
    </message>
    <message>
        <source>Radiometry: {why}</source>
        <translation>Radiometrie: {why}</translation>
    </message>
    <message>
        <source>The input is in a geographic CRS; it is warped to UTM (EPSG:{epsg}) at {gsd:g} m.</source>
        <translation>Die Eingabe liegt in einem geographischen KBS vor; sie wird nach UTM (EPSG:{epsg}) mit {gsd:g} m umprojiziert.</translation>
    </message>
    <message>
        <source>Bands of coarser resolution were resampled bilinearly onto the finest grid.</source>
        <translation>Bänder gröberer Auflösung wurden bilinear auf das feinste Raster umgerechnet.</translation>
    </message>
    <message>
        <source>BANDS parameter</source>
        <translation>Parameter BANDS</translation>
    </message>
    <message>
        <source>description</source>
        <translation>Beschreibung</translation>
    </message>
    <message>
        <source>metadata</source>
        <translation>Metadaten</translation>
    </message>
    <message>
        <source>file name</source>
        <translation>Dateiname</translation>
    </message>
    <message>
        <source>The input CRS {crs} is not true to scale here: a pixel of {x:.4g} x {y:.4g} in its units is {ground_x:.4g} x {ground_y:.4g} m on the ground. It is warped to UTM (EPSG:{epsg}) at {gsd:g} m.</source>
        <translation>Das KBS der Eingabe {crs} ist hier nicht maßstabstreu: Ein Pixel von {x:.4g} x {y:.4g} in seinen Einheiten ist am Boden {ground_x:.4g} x {ground_y:.4g} m groß. Es wird nach UTM (EPSG:{epsg}) mit {gsd:g} m umprojiziert.</translation>
    </message>
    <message>
        <source>The input grid is {x:g} x {y:g}; it is resampled to {gsd:g} m.</source>
        <translation>Das Eingaberaster ist {x:g} x {y:g}; es wird auf {gsd:g} m umgerechnet.</translation>
    </message>
    <message>
        <source>{wanted} is offered by onnxruntime but failed to start; using {used}.</source>
        <translation>{wanted} wird von onnxruntime angeboten, ließ sich aber nicht starten; verwendet wird {used}.</translation>
    </message>
    <message>
        <source>Local climate zones</source>
        <translation>Lokale Klimazonen</translation>
    </message>
    <message>
        <source>Settlement density (HSE)</source>
        <translation>Siedlungsdichte (HSE)</translation>
    </message>
    <message>
        <source>LCZ class probabilities</source>
        <translation>LCZ-Klassenwahrscheinlichkeiten</translation>
    </message>
    <message>
        <source>Windows could not load onnxruntime&apos;s DLL. onnxruntime 1.21 and later need a recent Microsoft Visual C++ runtime: install the latest one ({url}) and restart QGIS. If that does not help (an older QGIS brings its own, older runtime), install onnxruntime 1.20: python -m pip install &quot;onnxruntime&lt;1.21&quot; (onnxruntime-directml or onnxruntime-gpu likewise).</source>
        <translation>Windows konnte die DLL von onnxruntime nicht laden. onnxruntime 1.21 und neuer brauchen eine aktuelle Microsoft-Visual-C++-Laufzeitumgebung: Installieren Sie die neueste ({url}) und starten Sie QGIS neu. Hilft das nicht (ein älteres QGIS bringt seine eigene, ältere Laufzeitumgebung mit), installieren Sie onnxruntime 1.20: python -m pip install &quot;onnxruntime&lt;1.21&quot; (onnxruntime-directml oder onnxruntime-gpu ebenso).</translation>
    </message>
    <message>
        <source>onnxruntime {version} is installed and ready (with numpy {numpy}); no restart needed.</source>
        <translation>onnxruntime {version} ist installiert und bereit (mit numpy {numpy}); kein Neustart nötig.</translation>
    </message>
    <message>
        <source>No GPU that onnxruntime can use was found: the CPU package.</source>
        <translation>Keine GPU gefunden, die onnxruntime nutzen kann: das CPU-Paket.</translation>
    </message>
    <message>
        <source>This Python has no pip. On Debian/Ubuntu install it with: sudo apt install python3-pip; elsewhere run: python -m ensurepip --user</source>
        <translation>Dieses Python hat kein pip. Unter Debian/Ubuntu installieren Sie es mit: sudo apt install python3-pip; sonst führen Sie aus: python -m ensurepip --user</translation>
    </message>
    <message>
        <source>The system Python refuses pip (PEP 668): add --user --break-system-packages to the command.</source>
        <translation>Das System-Python verweigert pip (PEP 668): Ergänzen Sie den Befehl um --user --break-system-packages.</translation>
    </message>
    <message>
        <source>pip found no onnxruntime for this Python and platform: check the supported Python versions on https://pypi.org/project/onnxruntime/ or choose the CPU package.</source>
        <translation>pip fand kein onnxruntime für dieses Python und diese Plattform: Prüfen Sie die unterstützten Python-Versionen auf https://pypi.org/project/onnxruntime/ oder wählen Sie das CPU-Paket.</translation>
    </message>
    <message>
        <source>pip could not reach the package index: check the internet connection or proxy (pip&apos;s --proxy).</source>
        <translation>pip konnte den Paketindex nicht erreichen: Prüfen Sie die Internetverbindung oder den Proxy (--proxy von pip).</translation>
    </message>
    <message>
        <source>No permission to write there: add --user to the command, or run it as administrator.</source>
        <translation>Keine Schreibrechte dort: Ergänzen Sie den Befehl um --user oder führen Sie ihn als Administrator aus.</translation>
    </message>
    <message>
        <source>another onnxruntime ({version}) is already loaded in QGIS</source>
        <translation>ein anderes onnxruntime ({version}) ist in QGIS bereits geladen</translation>
    </message>
    <message>
        <source>pip could not install {package} (exit status {status}). {hint}
Run this command by hand (on Windows in the OSGeo4W Shell), then restart QGIS:
  {command}</source>
        <translation>pip konnte {package} nicht installieren (Exit-Status {status}). {hint}
Führen Sie diesen Befehl von Hand aus (unter Windows in der OSGeo4W-Shell) und starten Sie QGIS dann neu:
  {command}</translation>
    </message>
    <message>
        <source>pip installed {package}, but a new Python cannot import onnxruntime. Run the diagnostics (hselcz:diagnostics) and see the user guide&apos;s section on installing.</source>
        <translation>pip hat {package} installiert, aber ein neues Python kann onnxruntime nicht importieren. Führen Sie die Diagnose aus (hselcz:diagnostics) und lesen Sie den Abschnitt zur Installation im Benutzerhandbuch.</translation>
    </message>
    <message>
        <source>onnxruntime {version} is installed. Restart QGIS to use it ({why}).</source>
        <translation>onnxruntime {version} ist installiert. Starten Sie QGIS neu, um es zu nutzen ({why}).</translation>
    </message>
    <message>
        <source>An NVIDIA GPU ({gpu}) was found: onnxruntime-gpu runs the models on it through CUDA (it needs the CUDA 12 and cuDNN 9 libraries; without them it runs on the CPU).</source>
        <translation>Eine NVIDIA-GPU ({gpu}) wurde gefunden: onnxruntime-gpu führt die Modelle mit CUDA auf ihr aus (es braucht die Bibliotheken CUDA 12 und cuDNN 9; ohne sie läuft es auf der CPU).</translation>
    </message>
    <message>
        <source>An NVIDIA GPU ({gpu}) and the CUDA libraries were found: onnxruntime-gpu runs the models on it.</source>
        <translation>Eine NVIDIA-GPU ({gpu}) und die CUDA-Bibliotheken wurden gefunden: onnxruntime-gpu führt die Modelle auf ihr aus.</translation>
    </message>
    <message>
        <source>Windows with a GPU ({gpu}): onnxruntime-directml runs the models on it through DirectX 12, with no other installation.</source>
        <translation>Windows mit einer GPU ({gpu}): onnxruntime-directml führt die Modelle mit DirectX 12 auf ihr aus, ohne weitere Installation.</translation>
    </message>
    <message>
        <source>macOS: the onnxruntime package brings CoreML, which uses the Apple GPU and Neural Engine.</source>
        <translation>macOS: Das Paket onnxruntime bringt CoreML mit, das die Apple-GPU und die Neural Engine nutzt.</translation>
    </message>
    <message>
        <source>Also installed: {packages}. The onnxruntime packages overwrite each other: uninstall the others first (&quot;{python}&quot; -m pip uninstall {names}).</source>
        <translation>Ebenfalls installiert: {packages}. Die onnxruntime-Pakete überschreiben einander: Deinstallieren Sie die anderen zuerst (&quot;{python}&quot; -m pip uninstall {names}).</translation>
    </message>
    <message>
        <source>numpy was not found in this Python: pip will install the one onnxruntime asks for.</source>
        <translation>numpy wurde in diesem Python nicht gefunden: pip installiert die Version, die onnxruntime verlangt.</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>pip could not uninstall {packages} (exit status {status}). Run this command by hand, then install again:
  {command}</source>
        <translation>pip konnte {packages} nicht deinstallieren (Exit-Status {status}). Führen Sie diesen Befehl von Hand aus und installieren Sie dann erneut:
  {command}</translation>
    </message>
    <message>
        <source>Cannot open the new built-up map {path}: {error}</source>
        <translation>Die Karte der neuen Bebauung {path} lässt sich nicht öffnen: {error}</translation>
    </message>
    <message>
        <source>Cannot open the {role} raster {path}: {error}</source>
        <translation>Das Raster ({role}) {path} lässt sich nicht öffnen: {error}</translation>
    </message>
    <message>
        <source>New built-up: {mapped:.3f} km2 in the map, {area:.3f} +- {ci:.3f} km2 error-adjusted (95 % CI, Olofsson et al. 2014; user&apos;s accuracy {users:.2f}, producer&apos;s {producers:.2f}).</source>
        <translation>Neue Bebauung: {mapped:.3f} km2 in der Karte, {area:.3f} +- {ci:.3f} km2 fehlerbereinigt (95-%-Konfidenzintervall, Olofsson et al. 2014; Nutzergenauigkeit {users:.2f}, Herstellergenauigkeit {producers:.2f}).</translation>
    </message>
    <message>
        <source>No unit of the reference sample {name} lies in the compared area of the growth map.</source>
        <translation>Keine Einheit der Referenzstichprobe {name} liegt im verglichenen Gebiet der Wachstumskarte.</translation>
    </message>
    <message>
        <source>The field {field} of the reference sample {name} holds values that say neither new built-up nor not: {values}. Use 1 (new built-up) and 0 (not new built-up), or yes/no.</source>
        <translation>Das Feld {field} der Referenzstichprobe {name} enthält Werte, die weder neue Bebauung noch keine neue Bebauung angeben: {values}. Verwenden Sie 1 (neue Bebauung) und 0 (keine neue Bebauung) oder yes/no.</translation>
    </message>
    <message>
        <source>The layer {layer} holds no polygon to summarise.</source>
        <translation>Die Ebene {layer} enthält kein Polygon zum Zusammenfassen.</translation>
    </message>
    <message>
        <source>The reference sample {name} holds no feature with a geometry.</source>
        <translation>Die Referenzstichprobe {name} enthält kein Objekt mit Geometrie.</translation>
    </message>
    <message>
        <source>The run was cancelled; no output was written.</source>
        <translation>Der Lauf wurde abgebrochen; keine Ausgabe wurde geschrieben.</translation>
    </message>
    <message>
        <source>The {role} raster {path} has a rotated grid, which is not supported.</source>
        <translation>Das Raster ({role}) {path} hat ein gedrehtes Gitter; das wird nicht unterstützt.</translation>
    </message>
    <message>
        <source>The {role} raster {path} has no CRS: its cells have no known ground area. Assign its CRS (Raster &gt; Projections &gt; Assign Projection).</source>
        <translation>Das Raster ({role}) {path} hat kein KBS: seine Zellen haben keine bekannte Bodenfläche. Weisen Sie ihm sein KBS zu (Raster &gt; Projektionen &gt; Projektion zuweisen).</translation>
    </message>
    <message>
        <source>{count} polygon(s) of {layer} hold no LCZ cell with data (outside the map, over its nodata, or smaller than a cell, whose centre must lie in the polygon): their fields are empty. Features: {numbers}.</source>
        <translation>{count} Polygon(e) von {layer} enthalten keine LCZ-Zelle mit Daten (außerhalb der Karte, über ihren NoData-Zellen oder kleiner als eine Zelle, deren Mittelpunkt im Polygon liegen muss): ihre Felder bleiben leer. Objekte: {numbers}.</translation>
    </message>
    <message>
        <source>{count} polygon(s) of {layer} lie partly outside the map or over its nodata (valid_frac below 0.95): their shares and means cover only the part with data. Features: {numbers}.</source>
        <translation>{count} Polygon(e) von {layer} liegen teilweise außerhalb der Karte oder über ihren NoData-Zellen (valid_frac unter 0,95): ihre Anteile und Mittelwerte gelten nur für den Teil mit Daten. Objekte: {numbers}.</translation>
    </message>
    <message>
        <source>{count} polygon(s) of {layer} overlap others: each is summarised in full, so cells in the overlaps count in every polygon that holds them. Features: {numbers}.</source>
        <translation>{count} Polygon(e) von {layer} überlappen andere: jedes wird vollständig zusammengefasst, Zellen in den Überlappungen zählen also in jedem Polygon, das sie enthält. Objekte: {numbers}.</translation>
    </message>
    <message>
        <source>{count} sample cells lie outside the compared area and were not used.</source>
        <translation>{count} Stichprobenzellen liegen außerhalb des verglichenen Gebiets und wurden nicht verwendet.</translation>
    </message>
    <message>
        <source>None of the {count} polygon(s) of {layer} holds an LCZ cell with data: the polygons and the map do not overlap. Check that they cover the same place and that the layer&apos;s CRS is right.</source>
        <translation>Keines der {count} Polygon(e) von {layer} enthält eine LCZ-Zelle mit Daten: die Polygone und die Karte überlappen nicht. Prüfen Sie, ob sie denselben Ort abdecken und ob das KBS der Ebene stimmt.</translation>
    </message>
    <message>
        <source>Filtered LCZ: Gaussian kernel, sigma {sigma:g} cell ({metres:g} m), radius {radius} cells ({size} x {size}), applied to the class probabilities before the argmax (as the LCZ Generator and the global LCZ map do).</source>
        <translation>Gefilterte LCZ: Gauß-Kern, Sigma {sigma:g} Zelle ({metres:g} m), Radius {radius} Zellen ({size} x {size}), auf die Klassenwahrscheinlichkeiten vor dem Argmax angewandt (wie beim LCZ Generator und der globalen LCZ-Karte).</translation>
    </message>
    <message>
        <source>Local climate zones (filtered)</source>
        <translation>Lokale Klimazonen (gefiltert)</translation>
    </message>
    <message>
        <source>Written for UMEP (LCZ 1-10, natural classes A-G as 101-107, no data 0): {path}</source>
        <translation>Für UMEP geschrieben (LCZ 1-10, natürliche Klassen A-G als 101-107, keine Daten 0): {path}</translation>
    </message>
    <message>
        <source>Written for w2w/WRF (EPSG:4326, codes 1-17, band 1 &apos;lcz&apos;, band 2 &apos;lczFilter&apos; when a filtered map was given, no data 0): {path}</source>
        <translation>Für w2w/WRF geschrieben (EPSG:4326, Codes 1-17, Band 1 &apos;lcz&apos;, Band 2 &apos;lczFilter&apos;, wenn eine gefilterte Karte angegeben wurde, keine Daten 0): {path}</translation>
    </message>
    <message>
        <source>Written as KMZ (LCZ colours, EPSG:4326, legend): {path}</source>
        <translation>Als KMZ geschrieben (LCZ-Farben, EPSG:4326, Legende): {path}</translation>
    </message>
    <message>
        <source>Sentinel-2 product {name}: {level}, processing baseline {baseline}; the bands are read from its 10 m and 20 m images at their native resolutions.</source>
        <translation>Sentinel-2-Produkt {name}: {level}, Prozessierungs-Baseline {baseline}; die Bänder werden aus seinen 10-m- und 20-m-Bildern in ihrer nativen Auflösung gelesen.</translation>
    </message>
    <message>
        <source>The product spans the UTM zones {zones}; the part in EPSG:{epsg} is mapped.</source>
        <translation>Das Produkt reicht über die UTM-Zonen {zones}; kartiert wird der Teil in EPSG:{epsg}.</translation>
    </message>
    <message>
        <source>Clouds and cloud shadows ({source}): {pixels} pixels ({share:.1f} % of the scene) masked as no data; {cells} cells of 100 m are mostly covered and have no class.</source>
        <translation>Wolken und Wolkenschatten ({source}): {pixels} Pixel ({share:.1f} % der Szene) als NoData maskiert; {cells} Zellen zu 100 m sind überwiegend bedeckt und erhalten keine Klasse.</translation>
    </message>
    <message>
        <source>Clouds and cloud shadows are masked with the {source}.</source>
        <translation>Wolken und Wolkenschatten werden mit der {source} maskiert.</translation>
    </message>
    <message>
        <source>scene classification of the L2A product</source>
        <translation>Szenenklassifikation des L2A-Produkts</translation>
    </message>
    <message>
        <source>MSK_CLASSI cloud mask of the L1C product</source>
        <translation>MSK_CLASSI-Wolkenmaske des L1C-Produkts</translation>
    </message>
    <message>
        <source>spectral test</source>
        <translation>spektraler Test</translation>
    </message>
    <message>
        <source>Clouds are masked with the spectral test (Fmask's cloud tests; cloud shadows are not found): the input carries no cloud mask of its own.</source>
        <translation>Wolken werden mit dem spektralen Test maskiert (die Wolkentests von Fmask; Wolkenschatten werden nicht erkannt): die Eingabe bringt keine eigene Wolkenmaske mit.</translation>
    </message>
    <message>
        <source>Clouds are not masked: the input carries no cloud mask and the model does not read the bands of the spectral test ({bands}).</source>
        <translation>Wolken werden nicht maskiert: die Eingabe bringt keine Wolkenmaske mit, und das Modell liest die Bänder des spektralen Tests ({bands}) nicht.</translation>
    </message>
    <message>
        <source>Clouds are not masked (switched off).</source>
        <translation>Wolken werden nicht maskiert (ausgeschaltet).</translation>
    </message>
    <message>
        <source>As the LCZ Generator reports it ({splits} stratified {train}/{test} splits by polygon; mean [95 % interval]): {scores}.</source>
        <translation>Wie der LCZ Generator sie angibt ({splits} geschichtete {train}/{test}-Aufteilungen nach Polygonen; Mittelwert [95-%-Intervall]): {scores}.</translation>
    </message>
</context>
<context>
    <name>DependencyPrompt</name>
    <message>
        <source>HSE &amp; LCZ Mapper</source>
        <translation>HSE &amp; LCZ Mapper</translation>
    </message>
    <message>
        <source>onnxruntime, which runs the plugin&apos;s models, is not installed in the Python that runs QGIS.</source>
        <translation>onnxruntime, das die Modelle des Plugins ausführt, ist in dem Python, mit dem QGIS läuft, nicht installiert.</translation>
    </message>
    <message>
        <source>Install onnxruntime</source>
        <translation>onnxruntime installieren</translation>
    </message>
    <message>
        <source>Install</source>
        <translation>Installieren</translation>
    </message>
    <message>
        <source>Diagnostics</source>
        <translation>Diagnose</translation>
    </message>
    <message>
        <source>Install onnxruntime…</source>
        <translation>onnxruntime installieren …</translation>
    </message>
    <message>
        <source>Don&apos;t ask again</source>
        <translation>Nicht mehr fragen</translation>
    </message>
    <message>
        <source>Install {package} into the Python that runs QGIS?</source>
        <translation>{package} in das Python installieren, mit dem QGIS läuft?</translation>
    </message>
    <message>
        <source>{why}
numpy stays at version {numpy}. The command, to run it by hand instead (on Windows in the OSGeo4W Shell):
{command}</source>
        <translation>{why}
numpy bleibt in Version {numpy}. Der Befehl, um es stattdessen von Hand auszuführen (unter Windows in der OSGeo4W-Shell):
{command}</translation>
    </message>
    <message>
        <source>Filtered LCZ: Gaussian kernel, sigma {sigma:g} cell ({metres:g} m), radius {radius} cells ({size} x {size}), applied to the class probabilities before the argmax (as the LCZ Generator and the global LCZ map do).</source>
        <translation>Gefilterte LCZ: Gauß-Kern, Sigma {sigma:g} Zelle ({metres:g} m), Radius {radius} Zellen ({size} x {size}), auf die Klassenwahrscheinlichkeiten vor dem Argmax angewandt (wie beim LCZ Generator und der globalen LCZ-Karte).</translation>
    </message>
    <message>
        <source>Local climate zones (filtered)</source>
        <translation>Lokale Klimazonen (gefiltert)</translation>
    </message>
    <message>
        <source>Written for UMEP (LCZ 1-10, natural classes A-G as 101-107, no data 0): {path}</source>
        <translation>Für UMEP geschrieben (LCZ 1-10, natürliche Klassen A-G als 101-107, keine Daten 0): {path}</translation>
    </message>
    <message>
        <source>Written for w2w/WRF (EPSG:4326, codes 1-17, band 1 &apos;lcz&apos;, band 2 &apos;lczFilter&apos; when a filtered map was given, no data 0): {path}</source>
        <translation>Für w2w/WRF geschrieben (EPSG:4326, Codes 1-17, Band 1 &apos;lcz&apos;, Band 2 &apos;lczFilter&apos;, wenn eine gefilterte Karte angegeben wurde, keine Daten 0): {path}</translation>
    </message>
    <message>
        <source>Written as KMZ (LCZ colours, EPSG:4326, legend): {path}</source>
        <translation>Als KMZ geschrieben (LCZ-Farben, EPSG:4326, Legende): {path}</translation>
    </message>
    <message>
        <source>Sentinel-2 product {name}: {level}, processing baseline {baseline}; the bands are read from its 10 m and 20 m images at their native resolutions.</source>
        <translation>Sentinel-2-Produkt {name}: {level}, Prozessierungs-Baseline {baseline}; die Bänder werden aus seinen 10-m- und 20-m-Bildern in ihrer nativen Auflösung gelesen.</translation>
    </message>
    <message>
        <source>The product spans the UTM zones {zones}; the part in EPSG:{epsg} is mapped.</source>
        <translation>Das Produkt reicht über die UTM-Zonen {zones}; kartiert wird der Teil in EPSG:{epsg}.</translation>
    </message>
    <message>
        <source>Clouds and cloud shadows ({source}): {pixels} pixels ({share:.1f} % of the scene) masked as no data; {cells} cells of 100 m are mostly covered and have no class.</source>
        <translation>Wolken und Wolkenschatten ({source}): {pixels} Pixel ({share:.1f} % der Szene) als NoData maskiert; {cells} Zellen zu 100 m sind überwiegend bedeckt und erhalten keine Klasse.</translation>
    </message>
    <message>
        <source>Clouds and cloud shadows are masked with the {source}.</source>
        <translation>Wolken und Wolkenschatten werden mit der {source} maskiert.</translation>
    </message>
    <message>
        <source>scene classification of the L2A product</source>
        <translation>Szenenklassifikation des L2A-Produkts</translation>
    </message>
    <message>
        <source>MSK_CLASSI cloud mask of the L1C product</source>
        <translation>MSK_CLASSI-Wolkenmaske des L1C-Produkts</translation>
    </message>
    <message>
        <source>spectral test</source>
        <translation>spektraler Test</translation>
    </message>
    <message>
        <source>Clouds are masked with the spectral test (Fmask's cloud tests; cloud shadows are not found): the input carries no cloud mask of its own.</source>
        <translation>Wolken werden mit dem spektralen Test maskiert (die Wolkentests von Fmask; Wolkenschatten werden nicht erkannt): die Eingabe bringt keine eigene Wolkenmaske mit.</translation>
    </message>
    <message>
        <source>Clouds are not masked: the input carries no cloud mask and the model does not read the bands of the spectral test ({bands}).</source>
        <translation>Wolken werden nicht maskiert: die Eingabe bringt keine Wolkenmaske mit, und das Modell liest die Bänder des spektralen Tests ({bands}) nicht.</translation>
    </message>
    <message>
        <source>Clouds are not masked (switched off).</source>
        <translation>Wolken werden nicht maskiert (ausgeschaltet).</translation>
    </message>
</context>
</TS>
