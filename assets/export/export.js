// notesgraph's export page: dark mode, a search box that finds and focuses a node, kind
// filters (the legend's checkboxes). Inlined into the page; uses the template's globals
// `network`, `nodes` and `edges`. Titles are data: set as text or value, never as HTML.
(function () {
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;

  // -- labels, as the app draws them --------------------------------------------------------
  // Horizontal, 13 px at any zoom, elided to 240 px (else 130 px), beside their node; placed
  // greedily by priority (the centre, the hovered and selected nodes first, then `rank`) where
  // they overlap no other label and no node; a label with no free spot is not drawn. Zooming
  // in spreads the nodes, so more labels find room. Only nodes on screen are considered.
  var FONT = "13px system-ui, sans-serif", BOLD = "bold 14px system-ui, sans-serif";
  var WIDTHS = [240, 130], HEIGHT = 18, GAP = 3, PAD = 4, CELL = 96;
  var TEXT = dark ? "#e6e6e6" : "#1e1e1e", PLATE = dark ? "rgba(30,30,30,0.85)" : "rgba(250,250,250,0.85)";
  var ordered = [], hovered = null;
  window.ngLabels = [];

  function refreshOrder() {
    ordered = nodes.get({filter: function (n) { return !n.hidden; }});
    ordered.sort(function (a, b) { return a.rank - b.rank; });
  }

  function elided(ctx, text, width) {
    if (ctx.measureText(text).width + 2 * PAD <= width) { return text; }
    var low = 0, high = text.length;
    while (low < high) {
      var mid = (low + high + 1) >> 1;
      if (ctx.measureText(text.slice(0, mid).trimEnd() + "…").width + 2 * PAD <= width) { low = mid; } else { high = mid - 1; }
    }
    return text.slice(0, low).trimEnd() + "…";
  }

  function cells(r) {
    var out = [];
    for (var i = Math.floor(r[0] / CELL); i <= Math.floor((r[0] + r[2]) / CELL); i++) {
      for (var j = Math.floor(r[1] / CELL); j <= Math.floor((r[1] + r[3]) / CELL); j++) { out.push(i + "," + j); }
    }
    return out;
  }
  function overlaps(a, b) { return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]; }
  function hits(grid, r, owner) {
    return cells(r).some(function (key) {
      return (grid.get(key) || []).some(function (o) { return o.owner !== owner && overlaps(r, o.rect); });
    });
  }
  function add(grid, r, owner) {
    cells(r).forEach(function (key) { if (!grid.has(key)) { grid.set(key, []); } grid.get(key).push({owner: owner, rect: r}); });
  }

  function spots(x, y, radius, width, side) {
    var r = radius + GAP;
    var right = [x + r, y - HEIGHT / 2, width, HEIGHT], left = [x - r - width, y - HEIGHT / 2, width, HEIGHT];
    var below = [x - width / 2, y + r, width, HEIGHT], above = [x - width / 2, y - r - HEIGHT, width, HEIGHT];
    if (side === 0) { return [below, above, right, left]; }
    var near = side > 0 ? right : left;
    return [near, [near[0], near[1] + HEIGHT * 0.9, width, HEIGHT], [near[0], near[1] - HEIGHT * 0.9, width, HEIGHT], below, above];
  }

  network.on("hoverNode", function (event) { hovered = event.node; network.redraw(); });
  network.on("blurNode", function () { hovered = null; network.redraw(); });
  network.on("afterDrawing", function (ctx) {
    var canvas = ctx.canvas, ratio = canvas.width / canvas.clientWidth;
    var width = canvas.clientWidth, height = canvas.clientHeight, scale = network.getScale();
    var centreX = ordered.length ? network.canvasToDOM({x: ordered[0].x, y: ordered[0].y}).x : 0;
    var selected = network.getSelectedNodes(), first = [];
    if (hovered !== null) { first.push(hovered); }
    selected.forEach(function (id) { if (first.indexOf(id) < 0) { first.push(id); } });
    var shown = [], obstacles = new Map(), labels = new Map();
    ordered.forEach(function (n) {
      var p = network.canvasToDOM({x: n.x, y: n.y});
      if (p.x < -300 || p.y < -50 || p.x > width + 300 || p.y > height + 50) { return; }
      var radius = n.r * scale;
      add(obstacles, [p.x - radius, p.y - radius, 2 * radius, 2 * radius], n.id);
      shown.push({node: n, x: p.x, y: p.y, radius: radius, must: n.rank === 0 || first.indexOf(n.id) >= 0});
    });
    shown.sort(function (a, b) { return (b.must - a.must) || (a.node.rank - b.node.rank); });
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.textBaseline = "middle";
    window.ngLabels = [];
    shown.forEach(function (s) {
      var centre = s.node.rank === 0;
      ctx.font = centre ? BOLD : FONT;
      var side = centre ? 0 : (s.x >= centreX ? 1 : -1), chosen = null, text = "";
      var widths = centre ? [380] : WIDTHS;
      for (var w = 0; w < widths.length && !chosen; w++) {
        text = elided(ctx, s.node.text, widths[w]);
        var textWidth = Math.min(widths[w], ctx.measureText(text).width + 2 * PAD);
        var candidates = spots(s.x, s.y, s.radius, textWidth, side);
        for (var c = 0; c < candidates.length; c++) {
          var r = candidates[c];
          var inside = r[0] >= 0 && r[1] >= 0 && r[0] + r[2] <= width && r[1] + r[3] <= height;
          if ((inside || s.must) && !hits(labels, r, null) && !hits(obstacles, r, s.node.id)) { chosen = r; break; }
        }
        if (!chosen && s.must && w === widths.length - 1) { chosen = candidates[0]; }
      }
      if (!chosen) { return; }
      add(labels, chosen, s.node.id);
      window.ngLabels.push({id: s.node.id, text: text, rect: chosen});
      ctx.fillStyle = PLATE;
      ctx.fillRect(chosen[0], chosen[1], chosen[2], chosen[3]);
      ctx.fillStyle = TEXT;
      ctx.fillText(text, chosen[0] + PAD, chosen[1] + HEIGHT / 2 + 0.5);
    });
    ctx.restore();
  });
  refreshOrder();

  // -- search -----------------------------------------------------------------------------
  var box = document.getElementById("ng-search");
  var found = document.getElementById("ng-found");
  var matches = [], current = -1, lastQuery = null;

  function fullTitle(node) {
    return String(node.title || node.label || node.id).split("\n")[0];
  }

  function find(query) {
    var q = query.trim().toLowerCase();
    if (!q) { return []; }
    var hits = nodes.get({filter: function (n) {
      return !n.hidden && (fullTitle(n).toLowerCase().indexOf(q) >= 0 || String(n.id).toLowerCase() === q);
    }});
    // Titles that start with the query first, then shorter titles, then by id: stable.
    hits.sort(function (a, b) {
      var ta = fullTitle(a).toLowerCase(), tb = fullTitle(b).toLowerCase();
      var pa = ta.indexOf(q) === 0 ? 0 : 1, pb = tb.indexOf(q) === 0 ? 0 : 1;
      return pa - pb || ta.length - tb.length || (String(a.id) < String(b.id) ? -1 : 1);
    });
    return hits.map(function (n) { return n.id; });
  }

  function focusNode(id) {
    network.selectNodes([id]);
    network.focus(id, {scale: Math.max(network.getScale(), 1.2), animation: false});
    document.body.setAttribute("data-focused", String(id));
  }

  function search(next) {
    var query = box.value;
    if (query !== lastQuery) {
      matches = find(query);
      current = -1;
      lastQuery = query;
    }
    if (!matches.length) {
      found.textContent = query.trim() ? "no match" : "";
      network.unselectAll();
      return;
    }
    current = next ? (current + 1) % matches.length : Math.max(current, 0);
    focusNode(matches[current]);
    found.textContent = (current + 1) + " of " + matches.length + ": " + fullTitle(nodes.get(matches[current]));
  }

  box.addEventListener("input", function () { search(false); });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); search(true); }
    if (event.key === "Escape") { box.value = ""; search(false); }
  });
  window.ngSearch = function (query) { box.value = query; search(false); return matches.slice(); };

  // -- kind filters -----------------------------------------------------------------------
  function applyFilter(kind, shown) {
    nodes.update(nodes.get({filter: function (n) { return n.group === kind; }})
      .map(function (n) { return {id: n.id, hidden: !shown}; }));
    lastQuery = null;  // hidden nodes are not found
    refreshOrder();
  }
  document.querySelectorAll("#ng-legend input[data-kind]").forEach(function (input) {
    input.addEventListener("change", function () { applyFilter(input.getAttribute("data-kind"), input.checked); });
  });

  // Tell whoever waits (a test, the app's web view) that the canvas has been drawn.
  network.once("afterDrawing", function () { document.body.setAttribute("data-drawn", "1"); });
  network.redraw();
})();
