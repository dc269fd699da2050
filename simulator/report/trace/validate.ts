// Checks a Chrome trace (parsed JSON, from any writer) against the rules Perfetto and chrome://tracing rely on.
// In: the parsed value. Out: a list of problems, empty when the trace is valid; each names the event index.
// Rules: required fields per phase (M, X, C); metadata naming every process and thread used; no overlapping X
// events on one thread; non-negative durations; X timestamps sorted per thread.

export interface TraceProblem {
  /** Index in traceEvents, or -1 for the file as a whole. */
  readonly event: number;
  readonly message: string;
}

const METADATA = new Set(["process_name", "process_sort_index", "thread_name", "thread_sort_index"]);

/** Compares times at picosecond resolution so a writer's float rounding does not look like an overlap. */
function ps(us: number): number {
  return Math.round(us * 1e6);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function isTime(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

export function validateChromeTrace(trace: unknown, maxProblems = 50): TraceProblem[] {
  const problems: TraceProblem[] = [];
  /** Records a problem; returns true so a check can `return add(...)` and stop looking at that event. */
  const add = (event: number, message: string): true => {
    if (problems.length < maxProblems) problems.push({ event, message });
    return true;
  };
  const events = Array.isArray(trace) ? trace : isObject(trace) ? trace.traceEvents : undefined;
  if (!Array.isArray(events)) {
    add(-1, "no traceEvents array");
    return problems;
  }
  const processNames = new Map<number, string>();
  const threadNames = new Map<string, string>();
  const usedPids = new Map<number, number>();
  const usedThreads = new Map<string, number>();
  const lastOnThread = new Map<string, { ts: number; end: number; index: number }>();

  const check = (e: unknown, i: number): boolean => {
    if (!isObject(e)) return add(i, "event is not an object");
    if (typeof e.name !== "string" || e.name === "") add(i, "missing name");
    if (!isInt(e.pid)) add(i, "missing integer pid");
    const pid = e.pid as number;
    const args = e.args;
    switch (e.ph) {
      case "M": {
        if (!METADATA.has(e.name as string)) return add(i, `unknown metadata '${String(e.name)}'`);
        if (!isObject(args)) return add(i, "metadata without args");
        const isName = (e.name as string).endsWith("_name");
        if (isName && (typeof args.name !== "string" || args.name === ""))
          return add(i, `${String(e.name)} without args.name`);
        if (!isName && !isInt(args.sort_index)) return add(i, `${String(e.name)} without integer sort_index`);
        if ((e.name as string).startsWith("thread_")) {
          if (!isInt(e.tid)) return add(i, `${String(e.name)} without integer tid`);
          if (e.name === "thread_name") {
            const key = `${pid}:${e.tid}`;
            if (threadNames.has(key)) add(i, `thread ${key} named twice`);
            threadNames.set(key, args.name as string);
          }
        } else if (e.name === "process_name") {
          if (processNames.has(pid)) add(i, `process ${pid} named twice`);
          processNames.set(pid, args.name as string);
        }
        return false;
      }
      case "X": {
        if (!isInt(e.tid)) return add(i, "complete event without integer tid");
        if (!isTime(e.ts)) return add(i, "complete event without a non-negative ts");
        if (typeof e.dur !== "number" || !Number.isFinite(e.dur)) return add(i, "complete event without dur");
        if (e.dur < 0) return add(i, `negative duration ${e.dur}`);
        if (args !== undefined && !isObject(args)) add(i, "args is not an object");
        const key = `${pid}:${e.tid}`;
        if (!usedPids.has(pid)) usedPids.set(pid, i);
        if (!usedThreads.has(key)) usedThreads.set(key, i);
        const start = ps(e.ts);
        const end = ps(e.ts + e.dur);
        const prev = lastOnThread.get(key);
        if (prev) {
          if (start < prev.ts)
            add(i, `thread ${key}: ts ${e.ts} is before the previous event's (event ${prev.index})`);
          else if (start < prev.end)
            add(i, `thread ${key}: overlaps event ${prev.index}, which ends at ${prev.end / 1e6} us`);
        }
        lastOnThread.set(key, { ts: start, end: Math.max(end, prev?.end ?? 0), index: i });
        return false;
      }
      case "C": {
        if (!isTime(e.ts)) return add(i, "counter without a non-negative ts");
        if (!isObject(args) || Object.keys(args).length === 0) return add(i, "counter without args");
        for (const [k, v] of Object.entries(args))
          if (typeof v !== "number" || !Number.isFinite(v)) add(i, `counter series '${k}' is not a number`);
        if (!usedPids.has(pid)) usedPids.set(pid, i);
        return false;
      }
      default:
        return add(i, `unsupported phase '${String(e.ph)}'`);
    }
  };
  for (const [i, e] of (events as unknown[]).entries()) check(e, i);
  for (const [pid, i] of usedPids) if (!processNames.has(pid)) add(i, `process ${pid} has no process_name`);
  for (const [key, i] of usedThreads) if (!threadNames.has(key)) add(i, `thread ${key} has no thread_name`);
  return problems;
}
