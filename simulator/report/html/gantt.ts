// The LPU schedule as a Gantt chart: Timeline -> GanttData (one process, a window, rows that never overlap) ->
// SVG. The SVG is drawn at zoom 1 (the window fits GANTT_WIDTH pixels); the page's script (script.ts) re-lays it
// out when zoomed, from the bars' data-s/data-d attributes, so the static file and the zoomed view agree.
import { assertNever } from "../../../util/assert.ts";
import {
  clipTimeline,
  type Lane,
  sortedThreads,
  splitLanes,
  type TimeBase,
  type Timeline,
  toMicros,
  type Window,
} from "../trace/timeline.ts";
import type { GanttBar, GanttData } from "./data.ts";
import { esc, num, px } from "./format.ts";
import { niceTicks } from "./histogram.ts";

export const GANTT_WIDTH = 900;
export const ROW_HEIGHT = 18;
export const LABEL_WIDTH = 132;
const AXIS_HEIGHT = 22;
/** A bar narrower than this (pixels) gets no text inside; its tooltip still names it. */
export const MIN_LABEL_PX = 36;

export interface GanttOptions {
  /** The process (chip) to draw; default the lowest id. */
  readonly process?: number;
  readonly window: Window;
  /** Bars beyond this many are left out (counted in `omitted`), earliest kept (default 4000). */
  readonly maxBars?: number;
}

export function ganttFromTimeline(t: Timeline, o: GanttOptions): GanttData {
  const clipped = clipTimeline(t, o.window);
  const procs = [...clipped.processes].sort((a, b) => a.id - b.id);
  const p = o.process === undefined ? procs[0] : procs.find((x) => x.id === o.process);
  if (!p) throw new Error(`internal error: no process ${o.process} in the timeline`);
  const lanes: Lane[] = sortedThreads(p)
    .flatMap((th) => splitLanes(th))
    .filter((l) => l.intervals.length > 0);
  const all = lanes.flatMap((l, row) => l.intervals.map((iv) => ({ row, iv })));
  const maxBars = o.maxBars ?? 4000;
  const kept = new Set(
    [...all]
      .sort((a, b) => a.iv.start - b.iv.start || a.row - b.row)
      .slice(0, maxBars)
      .map((x) => x.iv),
  );
  const rows = lanes.map((l) => ({
    name: l.name,
    bars: l.intervals
      .filter((iv) => kept.has(iv))
      .map((iv): GanttBar => {
        const asm = iv.args?.asm;
        const line = iv.args?.line;
        const detail =
          typeof asm === "string" ? `${asm}${line !== undefined ? ` (line ${line})` : ""}` : undefined;
        return {
          start: iv.start,
          duration: iv.duration,
          name: iv.name,
          category: iv.category,
          ...(detail ? { detail } : {}),
        };
      }),
  }));
  return { time: t.time, window: o.window, title: p.name, rows, omitted: all.length - kept.size };
}

function unitName(time: TimeBase): string {
  switch (time.unit) {
    case "cycles":
      return "cycles";
    case "ns":
      return "ns";
    default:
      return assertNever(time, "time base");
  }
}

/** A tick label at either edge is anchored inward so it is not cut off (script.ts does the same). */
function tickAnchor(x: number, width: number): string {
  return x < 14 ? "start" : x > width - 14 ? "end" : "middle";
}

/** The Gantt block: controls, a fixed label column and a horizontally scrollable chart. */
export function ganttHtml(g: GanttData): string {
  const span = g.window.to - g.window.from;
  const pxPerUnit = GANTT_WIDTH / span;
  const height = AXIS_HEIGHT + g.rows.length * ROW_HEIGHT + 4;
  const usFrom = toMicros(g.time, g.window.from);
  const usTo = toMicros(g.time, g.window.to);
  const bars: string[] = [];
  g.rows.forEach((row, r) => {
    const y = AXIS_HEIGHT + r * ROW_HEIGHT + 2;
    for (const b of row.bars) {
      const x = (b.start - g.window.from) * pxPerUnit;
      const w = Math.max(1, b.duration * pxPerUnit);
      const tip = `${b.name} · ${unitName(g.time)} ${num(b.start)}–${num(b.start + b.duration)} (${num(b.duration)})${b.detail ? `\n${b.detail}` : ""}`;
      const label =
        w >= MIN_LABEL_PX
          ? `<text class="bar-label" x="${px(x + 3)}" y="${y + ROW_HEIGHT - 7}">${esc(b.name)}</text>`
          : `<text class="bar-label" x="${px(x + 3)}" y="${y + ROW_HEIGHT - 7}" display="none">${esc(b.name)}</text>`;
      bars.push(
        `<g class="bar cat-${esc(b.category)}" data-s="${b.start}" data-d="${b.duration}"><rect x="${px(x)}" y="${y}" width="${px(w)}" height="${ROW_HEIGHT - 3}"/>${label}<title>${esc(tip)}</title></g>`,
      );
    }
  });
  const rowLines = g.rows
    .map((_, r) => {
      const y = AXIS_HEIGHT + (r + 1) * ROW_HEIGHT;
      return `<line class="row-line" x1="0" x2="100%" y1="${y}" y2="${y}"/>`;
    })
    .join("");
  const ticks = niceTicks(usFrom, usTo, 8)
    .filter((t) => t >= usFrom && t <= usTo)
    .map((t) => {
      const xx = ((t - usFrom) / (usTo - usFrom)) * GANTT_WIDTH;
      const x = px(xx);
      return `<line class="grid" x1="${x}" x2="${x}" y1="${AXIS_HEIGHT - 4}" y2="${height}"/><text class="tick" x="${x}" y="${AXIS_HEIGHT - 8}" text-anchor="${tickAnchor(xx, GANTT_WIDTH)}">${num(t)}</text>`;
    })
    .join("");
  const labels = g.rows
    .map(
      (row, r) =>
        `<text class="row-name" x="${LABEL_WIDTH - 6}" y="${AXIS_HEIGHT + r * ROW_HEIGHT + ROW_HEIGHT - 5}" text-anchor="end">${esc(row.name)}</text>`,
    )
    .join("");
  const note =
    g.omitted > 0
      ? `<p class="note">${num(g.omitted)} later bars are not drawn to keep the file small.</p>`
      : "";
  return `<div class="gantt" id="gantt-block">
<div class="gantt-controls"><button type="button" id="zoom-in" title="zoom in (or ctrl + wheel)">+</button><button type="button" id="zoom-out" title="zoom out">−</button><button type="button" id="zoom-reset">fit</button><span id="gantt-scale">${esc(`${num(GANTT_WIDTH / (usTo - usFrom))} px/µs`)}</span><span class="hint">ctrl + wheel zooms at the pointer; scroll sideways to move</span></div>
<div class="gantt-body"><svg class="gantt-labels" width="${LABEL_WIDTH}" height="${height}"><text class="tick" x="${LABEL_WIDTH - 6}" y="${AXIS_HEIGHT - 8}" text-anchor="end">µs</text>${labels}</svg>
<div class="gantt-scroll" id="gantt-scroll"><svg id="gantt" width="${GANTT_WIDTH}" height="${height}" data-from="${g.window.from}" data-to="${g.window.to}" data-us-from="${usFrom}" data-us-to="${usTo}" data-zoom="1" data-base-width="${GANTT_WIDTH}" data-axis="${AXIS_HEIGHT}"><g id="gantt-ticks">${ticks}</g>${rowLines}<g id="gantt-bars">${bars.join("")}</g></svg></div></div>
${note}</div>`;
}
