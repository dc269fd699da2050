// A sheet as CSV (RFC 4180: comma-separated, double quotes around a field with a comma, quote or line break) and
// back. The columns: combination, combinations, target, the parameters, status, the metrics, message. Numbers are
// written with every digit JavaScript needs to read them back exactly, so a merged table equals an unsharded one.
import { UserError } from "../../util/diagnostics.ts";
import { type Metrics, metricsOf, type Outcome } from "./evaluation.ts";
import type { MetricColumn, Row, Sheet } from "./sheet.ts";

const LEAD = ["combination", "combinations", "target"] as const;

export function csvHeader(s: Pick<Sheet, "params" | "metrics">): string[] {
  return [...LEAD, ...s.params, "status", ...s.metrics.map((m) => m.key), "message"];
}

export function sheetToCsv(s: Sheet): string {
  const lines = [csvHeader(s)];
  for (const r of s.rows) {
    const o = r.outcome;
    const metric = (k: string) => {
      const v = metricsOf(o)?.[k];
      return v === undefined ? "" : String(v);
    };
    lines.push([
      String(r.combination),
      String(s.combinations),
      r.target,
      ...s.params.map((p) => r.params[p] ?? ""),
      o.kind,
      ...s.metrics.map((m) => metric(m.key)),
      o.kind === "ok" ? "" : o.reason,
    ]);
  }
  return lines.map((cells) => `${cells.map(quote).join(",")}\n`).join("");
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** Splits CSV text into records of fields. A final line break is optional; blank lines are skipped. */
export function parseCsv(text: string, file: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    if (!(record.length === 1 && record[0] === "")) records.push(record);
    record = [];
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") endField();
    else if (ch === "\n") endRecord();
    else if (ch !== "\r") field += ch;
    i++;
  }
  if (quoted) throw new UserError(`${file}: a quoted field is not closed before the end of the file`);
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

/** Reads a CSV written by `sheetToCsv`. `known` gives titles and digits of the metric columns it recognises. */
export function csvToSheet(text: string, file: string, known: readonly MetricColumn[]): Sheet {
  const records = parseCsv(text, file);
  const header = records[0];
  if (!header) throw new UserError(`${file}: empty file (no header line)`);
  const status = header.indexOf("status");
  const lead = header.slice(0, LEAD.length);
  if (lead.join(",") !== LEAD.join(",") || status < 0 || header.at(-1) !== "message")
    throw new UserError(
      `${file}: not a sweep CSV (expected columns ${LEAD.join(", ")}, ..., status, ..., message)`,
    );
  const params = header.slice(LEAD.length, status);
  const metricKeys = header.slice(status + 1, -1);
  const metrics = metricKeys.map((k) => known.find((m) => m.key === k) ?? { key: k, title: k, digits: 3 });
  let combinations = -1;
  const rows: Row[] = records.slice(1).map((cells, n) => {
    const where = `${file}: line ${n + 2}`;
    if (cells.length !== header.length)
      throw new UserError(`${where}: ${cells.length} fields where the header has ${header.length}`);
    const combination = wholeNumber(cells[0]!, where, "combination");
    const total = wholeNumber(cells[1]!, where, "combinations");
    if (combinations >= 0 && total !== combinations)
      throw new UserError(`${where}: says ${total} combinations where earlier lines say ${combinations}`);
    combinations = total;
    if (combination > total) throw new UserError(`${where}: combination ${combination} of only ${total}`);
    const rowParams: Record<string, string> = {};
    params.forEach((p, j) => {
      const v = cells[LEAD.length + j]!;
      if (v !== "") rowParams[p] = v;
    });
    const found: Record<string, number | string> = {};
    metricKeys.forEach((k, j) => {
      const v = cells[status + 1 + j]!;
      if (v !== "") found[k] = numberOrText(v);
    });
    const outcome = outcomeOf(cells[status]!, found, cells.at(-1)!, where);
    return { combination, target: cells[2]!, params: rowParams, outcome };
  });
  return { combinations: Math.max(0, combinations), params, metrics, rows };
}

function outcomeOf(status: string, metrics: Metrics, message: string, where: string): Outcome {
  if (status === "ok") return { kind: "ok", metrics };
  // As the evaluation gave it: a failed row has metrics only if it carried some.
  if (status === "failed")
    return Object.keys(metrics).length > 0
      ? { kind: status, reason: message, metrics }
      : { kind: status, reason: message };
  if (status === "crashed") return { kind: status, reason: message };
  throw new UserError(`${where}: unknown status '${status}' (expected ok, failed or crashed)`);
}

function wholeNumber(v: string, where: string, column: string): number {
  if (!/^[1-9][0-9]*$/.test(v))
    throw new UserError(`${where}: ${column} must be a positive whole number, got '${v}'`);
  return Number(v);
}

/** A cell that reads back as the same number is a number; anything else stays text. */
function numberOrText(v: string): number | string {
  const n = Number(v);
  return Number.isFinite(n) && String(n) === v ? n : v;
}
