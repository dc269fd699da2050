// ReportData -> one self-contained HTML page: inline CSS, SVG and one inline script; no network (a Content
// Security Policy forbids any fetch), no external fonts. Guarantees: every data string is escaped, and the same
// data gives byte-identical output (no dates, no locale, no randomness).
import type { ReportData } from "./data.ts";
import { esc, num } from "./format.ts";
import { ganttHtml } from "./gantt.ts";
import { histogramSvg } from "./histogram.ts";
import { GANTT_SCRIPT } from "./script.ts";
import { breakdownSection, comparisonTable, energySection } from "./sections.ts";
import { STYLE } from "./style.ts";

/** Blocks every request: scripts, styles and images only from the page itself. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export function renderReport(d: ReportData): string {
  if (d.lpu.latencySamplesUs.length === 0 || d.gpu.latencySamplesUs.length === 0)
    throw new Error("internal error: a report needs at least one latency sample per machine");
  const bins = d.histogramBins ?? 40;
  const conditions = d.conditions.map((c) => `<li>${esc(c.label)}: <b>${esc(c.value)}</b></li>`).join("");
  const g = d.gantt;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(d.title)}</h1>
<ul class="conditions"><li>model: <b>${esc(d.model)}</b></li>${conditions}</ul>

<h2>Side by side</h2>
${comparisonTable(d.lpu, d.gpu)}

<h2>Latency distributions</h2>
<div class="legend-line"><span><span class="swatch lpu"></span>${esc(d.lpu.label)}</span><span><span class="swatch gpu"></span>${esc(d.gpu.label)}</span></div>
${histogramSvg(d.lpu.latencySamplesUs, d.gpu.latencySamplesUs, bins)}
<p class="note">Both machines on one axis; dashed lines mark each one's p50 and p99. A statically scheduled machine's runs all take the same time, so its distribution is a single bar.</p>

<h2>The LPU schedule: ${esc(g.title)}, first ${esc(num(g.window.to - g.window.from))} ${esc(g.time.unit)}</h2>
${ganttHtml(g)}

<h2>Where the cycles go</h2>
${breakdownSection(d.breakdown)}

<h2>Energy and cost per token</h2>
${energySection(d.lpu, d.gpu)}

<script>${GANTT_SCRIPT}</script>
</body>
</html>
`;
}
