// Text -> a list of statements (directives and instructions) with plain values and spans, plus syntax diagnostics.
// No meaning yet: directives.ts and instructions.ts interpret the words. Guarantees every span is a real offset range.
import type { CstNode, IToken } from "chevrotain";
import { invariant } from "../../util/assert.ts";
import { type Diagnostic, diag, type Span } from "../../util/diagnostics.ts";
import { asmLexer, Newline } from "./lexer.ts";
import { M } from "./messages.ts";
import { parseNumberText } from "./names.ts";
import { parseLine } from "./parser.ts";

export type Item =
  | { readonly kind: "num"; readonly value: number; readonly text: string; readonly span: Span }
  | { readonly kind: "name"; readonly name: string; readonly quoted: boolean; readonly span: Span }
  | {
      readonly kind: "kw";
      readonly key: string;
      readonly keySpan: Span;
      readonly value: Item;
      readonly span: Span;
    }
  | {
      readonly kind: "link";
      readonly chip: Item;
      readonly link: string;
      readonly linkSpan: Span;
      readonly span: Span;
    }
  | {
      readonly kind: "list";
      readonly values: readonly Extract<Item, { kind: "num" }>[];
      readonly span: Span;
    };

export interface DirectiveStmt {
  readonly kind: "directive";
  readonly name: string;
  readonly nameSpan: Span;
  readonly groups: readonly (readonly Item[])[];
  readonly span: Span;
}

export interface InstructionStmt {
  readonly kind: "instruction";
  readonly cycle?: Extract<Item, { kind: "num" }>;
  readonly mnemonic: string;
  readonly mnemonicSpan: Span;
  readonly operands: readonly Item[];
  readonly span: Span;
  /** The comment after the instruction on its line, without the ';' and one space. */
  readonly note?: string;
}

export type Statement = DirectiveStmt | InstructionStmt;

type Children = Record<string, (CstNode | IToken)[] | undefined>;

const kids = (n: CstNode): Children => n.children as Children;
const nodes = (c: Children, k: string): CstNode[] => (c[k] ?? []) as CstNode[];
const tokens = (c: Children, k: string): IToken[] => (c[k] ?? []) as IToken[];

function tokSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

function join(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Tokens chevrotain invented in recovery have no offset. */
function real(t: IToken | undefined): t is IToken {
  return t !== undefined && Number.isFinite(t.startOffset) && !t.isInsertedInRecovery;
}

export function parseStatements(
  text: string,
  file: string,
): { statements: Statement[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  // A final newline ends the last line; it is past the user's text, so no span ever points into it.
  const lexed = asmLexer.tokenize(`${text}\n`);
  for (const e of lexed.errors) {
    diagnostics.push(
      diag(M.badCharacter, file, { start: e.offset, end: e.offset + e.length }, [
        text.slice(e.offset, e.offset + 1),
      ]),
    );
  }
  const comments = (lexed.groups.comments ?? []).filter(real);
  // Lines are read in order, so the comment after an instruction is found by a cursor that only moves forward
  // (a search from the start for every line made a large program's parse quadratic: 465 s for 13 MB).
  let nextComment = 0;
  const commentAfter = (from: number, lineEnd: number): IToken | undefined => {
    while (nextComment < comments.length && comments[nextComment]!.startOffset < from) nextComment++;
    const t = comments[nextComment];
    return t !== undefined && t.startOffset < lineEnd ? t : undefined;
  };
  const statements: Statement[] = [];
  let lineStart = 0;
  const toks = lexed.tokens;
  for (let k = 0; k < toks.length; k++) {
    if (toks[k]!.tokenType !== Newline) continue;
    const lineTokens = toks.slice(lineStart, k + 1);
    lineStart = k + 1;
    if (lineTokens.length === 1) continue;
    const { cst, problem } = parseLine(lineTokens);
    if (problem) {
      diagnostics.push(diag(M.syntax, file, problem.span, [problem.text]));
      continue;
    }
    const c = kids(cst);
    const d = nodes(c, "directive")[0];
    const i = nodes(c, "instruction")[0];
    if (d) statements.push(directive(d));
    if (i) statements.push(instruction(i, toks[k], commentAfter));
  }
  return { statements, diagnostics };
}

/** Lines with syntax errors are dropped before this point, so every token the grammar requires is real. */
function need(t: IToken | undefined): IToken {
  invariant(real(t), "a token of an error-free line is missing");
  return t;
}

function directive(n: CstNode): DirectiveStmt {
  const c = kids(n);
  const head = need(tokens(c, "Directive")[0]);
  const groups = nodes(c, "group").map((g) => nodes(kids(g), "value").map(value));
  const last = groups.at(-1)?.at(-1);
  const nameSpan = tokSpan(head);
  return {
    kind: "directive",
    name: head.image,
    nameSpan,
    groups,
    span: last ? join(nameSpan, last.span) : nameSpan,
  };
}

function instruction(
  n: CstNode,
  newline: IToken | undefined,
  commentAfter: (from: number, lineEnd: number) => IToken | undefined,
): InstructionStmt {
  const c = kids(n);
  const at = tokens(c, "At")[0];
  const cycleTok = tokens(c, "Number")[0];
  const mn = need(tokens(c, "Ident")[0]);
  const operands = nodes(c, "value").map(value);
  const cycle = at ? num(need(cycleTok)) : undefined;
  const first = at ? tokSpan(need(at)) : tokSpan(mn);
  const lastSpan = operands.at(-1)?.span ?? tokSpan(mn);
  const span = join(first, lastSpan);
  const lineEnd = real(newline) ? newline.startOffset : Number.POSITIVE_INFINITY;
  const comment = commentAfter(span.end, lineEnd);
  const note = comment ? comment.image.slice(1).replace(/^ /, "") : undefined;
  return {
    kind: "instruction",
    ...(cycle ? { cycle } : {}),
    mnemonic: mn.image,
    mnemonicSpan: tokSpan(mn),
    operands,
    span,
    ...(note !== undefined ? { note } : {}),
  };
}

function num(t: IToken): Extract<Item, { kind: "num" }> {
  return { kind: "num", value: parseNumberText(t.image), text: t.image, span: tokSpan(t) };
}

function value(n: CstNode): Item {
  const c = kids(n);
  const numTok = tokens(c, "Number")[0];
  if (numTok) {
    const chip = num(need(numTok));
    const link = tokens(c, "Ident")[0];
    if (tokens(c, "Colon").length > 0) {
      const l = need(link);
      return { kind: "link", chip, link: l.image, linkSpan: tokSpan(l), span: join(chip.span, tokSpan(l)) };
    }
    return chip;
  }
  const ident = tokens(c, "Ident")[0];
  if (ident) {
    const id = need(ident);
    const inner = nodes(c, "value")[0];
    if (tokens(c, "Equals").length > 0) {
      const v = value(inner ?? raise());
      return { kind: "kw", key: id.image, keySpan: tokSpan(id), value: v, span: join(tokSpan(id), v.span) };
    }
    return { kind: "name", name: id.image, quoted: false, span: tokSpan(id) };
  }
  const str = tokens(c, "String")[0];
  if (str) {
    const s = need(str);
    return { kind: "name", name: JSON.parse(s.image) as string, quoted: true, span: tokSpan(s) };
  }
  const list = nodes(c, "list")[0] ?? raise();
  const lc = kids(list);
  const open = need(tokens(lc, "LBracket")[0]);
  const close = need(tokens(lc, "RBracket")[0]);
  return {
    kind: "list",
    values: tokens(lc, "Number").map((t) => num(need(t))),
    span: join(tokSpan(open), tokSpan(close)),
  };
}

function raise(): never {
  throw new Error("internal error: a value of an error-free line has no alternative");
}
