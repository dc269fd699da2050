// A one-line progress bar for a terminal: redrawn in place after each finished combination, erased at the end.
// Draws nothing when the stream is not a terminal, so redirected output and CI logs stay clean.
import type { Result } from "./evaluation.ts";

export interface Progress {
  readonly onResult: (r: Result, done: number, total: number) => void;
  readonly end: () => void;
}

const WIDTH = 30;

/** Draws the empty bar at once (workers take a moment to start), then one step per finished combination. */
export function progressBar(stream: NodeJS.WriteStream, label: string, total: number): Progress {
  if (!stream.isTTY || total === 0) return { onResult: () => {}, end: () => {} };
  const start = performance.now();
  let failed = 0;
  const draw = (done: number) => {
    const filled = Math.round((WIDTH * done) / total);
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    const bar = `${"#".repeat(filled)}${".".repeat(WIDTH - filled)}`;
    const note = failed > 0 ? `, ${failed} not ok` : "";
    stream.write(`\r${label} [${bar}] ${done}/${total}${note}, ${seconds} s\x1b[K`);
  };
  draw(0);
  return {
    onResult: (r, done) => {
      if (r.outcome.kind !== "ok") failed++;
      draw(done);
    },
    end: () => stream.write("\r\x1b[K"),
  };
}
