// Draw the dashboard's figures: each .chart names the JSON data block that holds its figure.
// The JSON comes from the server (plotly.io.to_json); no inline script is needed.
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var config = { responsive: true, displaylogo: false, displayModeBar: false };
  document.querySelectorAll(".chart[data-figure]").forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-figure"));
    if (!source) { return; }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(box, figure.data || [], figure.layout || {}, config);
  });
})();
