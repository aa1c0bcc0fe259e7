(function () {
  if (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches) {
    network.setOptions({nodes: {font: {color: "#dddddd"}}});
  }
  // Tell whoever waits (a test, the app's web view) that the canvas has been drawn.
  network.once("afterDrawing", function () { document.body.setAttribute("data-drawn", "1"); });
  network.redraw();
})();
