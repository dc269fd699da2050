// The report's only script, inlined into the page: zooms the Gantt chart (buttons, ctrl + wheel at the pointer)
// by re-laying out the bars from their data-s/data-d attributes, and redraws the time axis. No network, no
// libraries. Zoom 1 fits the window in the chart's base width; the largest zoom gives about 40 px per cycle.

export const GANTT_SCRIPT = `(function () {
  "use strict";
  var svg = document.getElementById("gantt");
  if (!svg) return;
  var NS = "http://www.w3.org/2000/svg";
  var scroll = document.getElementById("gantt-scroll");
  var ticks = document.getElementById("gantt-ticks");
  var label = document.getElementById("gantt-scale");
  var d = svg.dataset;
  var base = +d.baseWidth, from = +d.from, to = +d.to, usFrom = +d.usFrom, usTo = +d.usTo, axis = +d.axis;
  var height = +svg.getAttribute("height");
  var bars = Array.prototype.slice.call(svg.querySelectorAll("g.bar"));
  var maxZoom = Math.max(1, (40 * (to - from)) / base);
  var zoom = 1;

  function fmt(x) {
    if (x === 0) return "0";
    var s = Math.abs(x) >= 10000 ? String(Math.round(x)) : x.toPrecision(4);
    return s.indexOf(".") >= 0 && s.indexOf("e") < 0 ? s.replace(/0+$/, "").replace(/\\.$/, "") : s;
  }
  function nice(lo, hi, target) {
    var raw = (hi - lo) / target, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = 10 * mag;
    [1, 2, 5, 10].some(function (k) { if (k * mag >= raw) { step = k * mag; return true; } return false; });
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.round(t / step) * step);
    return out;
  }
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function layout(z) {
    zoom = Math.max(1, Math.min(maxZoom, z));
    var width = base * zoom;
    svg.setAttribute("width", String(width));
    d.zoom = String(zoom);
    var ppu = width / (to - from);
    bars.forEach(function (g) {
      var x = (+g.dataset.s - from) * ppu, w = Math.max(1, +g.dataset.d * ppu);
      var rect = g.querySelector("rect"), text = g.querySelector("text");
      rect.setAttribute("x", x.toFixed(2));
      rect.setAttribute("width", w.toFixed(2));
      if (text) {
        text.setAttribute("x", (x + 3).toFixed(2));
        if (w >= 36) text.removeAttribute("display"); else text.setAttribute("display", "none");
      }
    });
    while (ticks.firstChild) ticks.removeChild(ticks.firstChild);
    nice(usFrom, usTo, Math.max(4, Math.round(width / 110))).forEach(function (t) {
      if (t < usFrom || t > usTo) return;
      var x = (((t - usFrom) / (usTo - usFrom)) * width).toFixed(2);
      ticks.appendChild(el("line", { class: "grid", x1: x, x2: x, y1: axis - 4, y2: height }));
      var anchor = +x < 14 ? "start" : +x > width - 14 ? "end" : "middle";
      ticks.appendChild(el("text", { class: "tick", x: x, y: axis - 8, "text-anchor": anchor }, fmt(t)));
    });
    label.textContent = fmt(width / (usTo - usFrom)) + " px/µs";
  }
  /** Zooms keeping the time under \`offset\` (pixels from the scroll box's left edge) in place. */
  function zoomAt(z, offset) {
    var old = base * zoom, at = (scroll.scrollLeft + offset) / old;
    layout(z);
    scroll.scrollLeft = at * base * zoom - offset;
  }
  document.getElementById("zoom-in").addEventListener("click", function () { zoomAt(zoom * 2, scroll.clientWidth / 2); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomAt(zoom / 2, scroll.clientWidth / 2); });
  document.getElementById("zoom-reset").addEventListener("click", function () { zoomAt(1, 0); });
  scroll.addEventListener("wheel", function (e) {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    zoomAt(zoom * (e.deltaY < 0 ? 1.25 : 0.8), e.clientX - scroll.getBoundingClientRect().left);
  }, { passive: false });
  layout(1);
})();`;
