// Reading statement items as typed operands, with diagnostics: whole numbers, streams, names, `key=value` options.
// Shared by directives.ts and instructions.ts; every reader reports a problem and returns undefined.
import { type Diagnostic, diag, type Span } from "../../util/diagnostics.ts";
import { didYouMean } from "../../util/suggest.ts";
import type { StreamRef } from "../isa.ts";
import { M } from "./messages.ts";
import { parseStreamName } from "./names.ts";
import type { Item } from "./statements.ts";

export class Reader {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {}

  report(
    def: (typeof M)[keyof typeof M],
    span: Span | undefined,
    args: (string | number)[] = [],
    hint?: string,
  ): void {
    this.diagnostics.push(diag(def, this.file, span, args, hint));
  }

  /** A whole number >= min (an address, a count, a cycle). */
  int(item: Item | undefined, what: string, min: number, at: Span): number | undefined {
    if (!item) {
      this.report(M.missingArg, at, [what, "a whole number"]);
      return undefined;
    }
    if (item.kind !== "num" || !Number.isSafeInteger(item.value) || item.value < min) {
      this.report(M.badInteger, item.span, [what, min === 0 ? ">= 0" : `>= ${min}`, text(item)]);
      return undefined;
    }
    return item.value;
  }

  /** Any integer (a lane shift or an address stride may be negative). */
  signedInt(item: Item, what: string): number | undefined {
    if (item.kind !== "num" || !Number.isSafeInteger(item.value)) {
      this.report(M.badInteger, item.span, [what, "(an integer)", text(item)]);
      return undefined;
    }
    return item.value;
  }

  number(item: Item): number | undefined {
    if (item.kind !== "num") {
      this.report(M.badNumber, item.span, [text(item)]);
      return undefined;
    }
    return item.value;
  }

  stream(item: Item | undefined, what: string, at: Span): StreamRef | undefined {
    if (!item) {
      this.report(M.missingArg, at, [what, "a stream such as 's0e'"]);
      return undefined;
    }
    const s = item.kind === "name" && !item.quoted ? parseStreamName(item.name) : undefined;
    if (!s) this.report(M.badStream, item.span, [text(item)]);
    return s;
  }

  name(item: Item | undefined, what: string, at: Span): string | undefined {
    if (!item) {
      this.report(M.missingArg, at, [what, "a name"]);
      return undefined;
    }
    if (item.kind !== "name") {
      this.report(M.missingArg, item.span, [what, `a name, not '${text(item)}'`]);
      return undefined;
    }
    return item.name;
  }
}

/** Splits operands into positional items, `key=value` options (checked against `allowed`), and bare flags. */
export function splitOptions(
  r: Reader,
  items: readonly Item[],
  owner: string,
  allowed: readonly string[],
  flags: readonly string[] = [],
): { positional: Item[]; options: Map<string, Item>; flags: Set<string> } {
  const positional: Item[] = [];
  const options = new Map<string, Item>();
  const set = new Set<string>();
  for (const it of items) {
    if (it.kind === "kw") {
      if (!allowed.includes(it.key)) {
        r.report(M.unknownOption, it.keySpan, [it.key, owner], didYouMean(it.key, allowed));
      } else if (options.has(it.key)) {
        r.report(M.duplicateOption, it.keySpan, [it.key]);
      } else options.set(it.key, it.value);
    } else if (it.kind === "name" && !it.quoted && flags.includes(it.name) && positional.length > 0) {
      if (set.has(it.name)) r.report(M.duplicateOption, it.span, [it.name]);
      set.add(it.name);
    } else positional.push(it);
  }
  return { positional, options, flags: set };
}

export function text(item: Item): string {
  switch (item.kind) {
    case "num":
      return item.text;
    case "name":
      return item.quoted ? JSON.stringify(item.name) : item.name;
    case "kw":
      return `${item.key}=${text(item.value)}`;
    case "link":
      return `${text(item.chip)}:${item.link}`;
    case "list":
      return "[...]";
  }
}
