// The report's stylesheet, inlined into the page: system fonts only (no web fonts), colours per unit kind.

export const STYLE = `
:root { --lpu: #2563eb; --gpu: #ea580c; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 20px 28px 60px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.conditions { color: var(--muted); margin: 0 0 12px; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; }
.conditions b { color: var(--ink); font-weight: 600; }
table.numbers { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
table.numbers th, table.numbers td { padding: 3px 12px; border-bottom: 1px solid var(--line); text-align: right; }
table.numbers th[scope=row] { text-align: left; font-weight: 500; }
table.numbers thead th { font-weight: 600; }
th.lpu { color: var(--lpu); } th.gpu { color: var(--gpu); }
td.ratio { color: var(--muted); }
.share { color: var(--muted); font-size: 12px; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
.tick { fill: var(--muted); }
.axis-label { fill: var(--muted); font-size: 12px; }
.grid { stroke: var(--line); stroke-width: 1; }
.axis { stroke: var(--muted); }
.bar.lpu { fill: var(--lpu); } .bar.gpu { fill: var(--gpu); opacity: 0.85; }
.marker { stroke-width: 1.5; stroke-dasharray: 4 3; } .marker.lpu { stroke: var(--lpu); } .marker.gpu { stroke: var(--gpu); }
.marker-label.lpu { fill: var(--lpu); } .marker-label.gpu { fill: var(--gpu); }
.legend-line { display: flex; gap: 16px; margin: 4px 0; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 4px; }
.swatch.lpu { background: var(--lpu); } .swatch.gpu { background: var(--gpu); }
.seg.s0 { fill: #2563eb; } .seg.s1 { fill: #f59e0b; } .seg.s2 { fill: #10b981; } .seg.s3 { fill: #f472b6; } .seg.idle { fill: #d1d5db; }
.seg.s4 { fill: #8b5cf6; } .seg.s5 { fill: #ef4444; } .seg.s6 { fill: #14b8a6; } .seg.s7 { fill: #a3a3a3; }
.gantt-controls { display: flex; align-items: center; gap: 6px; margin: 6px 0; }
.gantt-controls button { min-width: 34px; padding: 2px 8px; font: inherit; border: 1px solid #9ca3af; background: #f9fafb; border-radius: 4px; cursor: pointer; }
.gantt-controls .hint { color: var(--muted); font-size: 12px; margin-left: 10px; }
#gantt-scale { font-variant-numeric: tabular-nums; min-width: 90px; }
.gantt-body { display: flex; border: 1px solid var(--line); max-height: 560px; overflow-y: auto; }
.gantt-labels { flex: none; background: #fafafa; border-right: 1px solid var(--line); }
.gantt-scroll { overflow-x: auto; overflow-y: hidden; flex: 1; }
.row-line { stroke: #f3f4f6; }
.row-name { font-size: 11px; }
g.bar rect { fill: #9ca3af; stroke: #fff; stroke-width: 0.5; }
g.bar .bar-label { fill: #fff; font-size: 10px; pointer-events: none; }
g.cat-mem rect { fill: #0ea5e9; } g.cat-vxm rect { fill: #10b981; } g.cat-mxm rect { fill: #6366f1; }
g.cat-sxm rect { fill: #f59e0b; } g.cat-c2c rect { fill: #ec4899; } g.cat-icu rect { fill: #9ca3af; }
g.cat-wait rect { fill: #e5e7eb; } g.cat-wait .bar-label { fill: var(--ink); } g.cat-hazard rect { fill: #dc2626; }
`;
