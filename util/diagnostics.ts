// Diagnostics as data: positions are byte offsets until printed; line and column are computed only when formatting.
// Output format: `file:line:col: error LPU1003: message`, then the source line and a `^~~~` underline.

/** A half-open range of offsets into one source text. start = -1 means "no real position" (EOF, invented tokens). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type Severity = "error" | "warning" | "note";

export interface Diagnostic {
  readonly severity: Severity;
  /** "LPU1003": the code from the owning area's message table. */
  readonly code: string;
  readonly message: string;
  readonly file: string;
  readonly span?: Span;
  /** An extra line such as "did you mean 'matmul'?"; printed after the message. */
  readonly hint?: string;
}

/** A message template: `{0}`, `{1}`... are filled by `diag()`. */
export interface MessageDef {
  readonly code: string;
  readonly severity: Severity;
  readonly text: string;
}

/** Fills a message template. Arguments are stringified in order. */
export function diag(
  def: MessageDef,
  file: string,
  span: Span | undefined,
  args: readonly (string | number)[] = [],
  hint?: string,
): Diagnostic {
  const message = def.text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? `{${i}}`));
  return { severity: def.severity, code: def.code, message, file, span, hint };
}

/** Maps offsets to 1-based line and column. Built once per source text. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  /** 1-based line and column of an offset (clamped to the text). */
  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo]! + 1 };
  }
  lineText(line: number): string {
    const start = this.starts[line - 1] ?? this.text.length;
    const next = this.starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, "");
  }
}

/** Formats one diagnostic with its source line and underline. `source` may be omitted when there is no span. */
export function formatDiagnostic(d: Diagnostic, source?: string | LineIndex): string {
  const index = typeof source === "string" ? new LineIndex(source) : source;
  const head = `${d.severity} ${d.code}: ${d.message}`;
  if (!d.span || d.span.start < 0 || !index) {
    return `${d.file}: ${head}${d.hint ? `\n  ${d.hint}` : ""}`;
  }
  const { line, column } = index.position(d.span.start);
  const text = index.lineText(line);
  const width = Math.max(1, Math.min(d.span.end - d.span.start, text.length - column + 1));
  const gutter = String(line);
  const pad = " ".repeat(gutter.length);
  const lines = [
    `${d.file}:${line}:${column}: ${head}`,
    `${gutter} | ${text}`,
    `${pad} | ${" ".repeat(column - 1)}^${"~".repeat(width - 1)}`,
  ];
  if (d.hint) lines.push(`${pad} = ${d.hint}`);
  return lines.join("\n");
}

/** Formats many diagnostics, sorted by position so output is deterministic whatever order they were found in. */
export function formatDiagnostics(ds: readonly Diagnostic[], source?: string): string {
  const index = source === undefined ? undefined : new LineIndex(source);
  return sortDiagnostics(ds)
    .map((d) => formatDiagnostic(d, index))
    .join("\n");
}

export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.span?.start ?? -1) - (b.span?.start ?? -1) ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** Thrown only at the CLI boundary to turn diagnostics into exit code 1; library code returns diagnostics. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(message);
    this.name = "UserError";
  }
}
