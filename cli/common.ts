// Shared CLI plumbing: flag parsers, the error boundary, and deterministic JSON output.
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { type Diagnostic, formatDiagnostics, hasErrors, UserError } from "../util/diagnostics.ts";

/** Collects a repeatable `--set k=v` (or `--arch-set k=v`) flag into a record. Values stay strings; the library parses. */
export function collectSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0 || eq === value.length - 1) {
    throw new UserError(`expected NAME=VALUE, got '${value}'`);
  }
  return { ...previous, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
}

/** Parses a positive integer flag, with a message that names the flag. */
export function parsePositiveInt(flag: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new UserError(`${flag} takes a positive whole number, got '${value}'`);
    return n;
  };
}

/** Reads a user's file; a missing file is a user error, not a crash. */
export function readSource(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === "ENOENT" ? `cannot read '${path}': no such file` : `cannot read '${path}': ${code}`,
    );
  }
}

/**
 * Writes an output file the user named (-o, --report, --trace, --dot), creating its directory first as `mkdir -p`
 * would; a path that cannot be written (a file where a directory should be, no permission) is a user error.
 */
export function writeOutput(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`cannot write '${path}': ${err.code ?? err.message}`);
  }
}

/** writeOutput for text given in pieces, written in chunks of about a megabyte: a large program's text can be
 * longer than the longest string V8 holds. */
export function writeOutputChunks(path: string, pieces: Iterable<string>): void {
  withOutputFile(path, (fd) => {
    let chunk: string[] = [];
    let size = 0;
    for (const piece of pieces) {
      chunk.push(piece);
      size += piece.length;
      if (size >= 1 << 20) {
        writeSync(fd, chunk.join(""));
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) writeSync(fd, chunk.join(""));
  });
}

/** writeOutput for text given as pieces of bytes, each written as it comes. */
export function writeOutputBytes(path: string, pieces: Iterable<Uint8Array>): void {
  withOutputFile(path, (fd) => {
    for (const piece of pieces)
      for (let at = 0; at < piece.length; ) at += writeSync(fd, piece, at, piece.length - at);
  });
}

/** Opens `path` for writing (its directory made first), runs `write` on it and closes it; a path that cannot be
 * written is a user error. */
function withOutputFile(path: string, write: (fd: number) => void): void {
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, "w");
    write(fd);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === undefined) throw e;
    throw new UserError(`cannot write '${path}': ${err.code}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Prints diagnostics to stderr; throws a UserError (exit 1) when any is an error. */
export function reportDiagnostics(ds: readonly Diagnostic[], source?: string): void {
  if (ds.length > 0) process.stderr.write(`${formatDiagnostics(ds, source)}\n`);
  if (hasErrors(ds)) {
    const n = ds.filter((d) => d.severity === "error").length;
    throw new UserError(`${n} error${n === 1 ? "" : "s"}`);
  }
}

/** JSON with sorted keys and a trailing newline: byte-identical for the same data. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object" && !ArrayBuffer.isView(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/**
 * Wraps a command's action: a UserError prints its message and sets exit code 1 (its diagnostics were already
 * printed); anything else is a bug and prints its stack with exit code 2.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => void | Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof UserError) {
        process.stderr.write(`lpu: ${e.message}\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`lpu: internal error (a bug; please report it)\n${(e as Error).stack ?? e}\n`);
        process.exitCode = 2;
      }
    }
  };
}
