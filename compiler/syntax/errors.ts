// Chevrotain's lexing and recognition errors -> LPU1xxx diagnostics in human words.
// Positions: a missing token is reported just after the previous real token (the place it belongs), never at an
// invented token (chevrotain gives those offset NaN) and never at the end of the file when there is text before.
import {
  EOF,
  type ILexingError,
  type IRecognitionException,
  type IToken,
  type TokenType,
  tokenMatcher,
} from "chevrotain";
import { type Diagnostic, diag, type Span } from "../../util/diagnostics.ts";
import * as T from "./lexer.ts";
import { M } from "./messages.ts";
import type { ParseFailure } from "./parser.ts";

export function lexingDiagnostic(e: ILexingError, text: string, file: string): Diagnostic {
  const chars = [...text.slice(e.offset, e.offset + e.length)];
  const shown = chars.length === 1 ? `character ${showChars(chars)}` : `characters ${showChars(chars)}`;
  return diag(M.unexpectedCharacter, file, { start: e.offset, end: e.offset + e.length }, [shown]);
}

/** `'@@'`, or code points (`U+0007`) when any is invisible; long runs (binary junk) are cut short. */
function showChars(chars: readonly string[]): string {
  const cut = chars.length > 12 ? [...chars.slice(0, 12), "..."] : chars;
  const invisible = chars.some((c) => /[\p{C}\s]/u.test(c));
  if (!invisible) return `'${cut.join("")}'`;
  return cut
    .map((c) => (c === "..." ? c : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`))
    .join(" ");
}

/** True for tokens that exist in the text (not EOF, not inserted by recovery). */
export function isReal(t: IToken | undefined): t is IToken {
  return t !== undefined && Number.isFinite(t.startOffset) && t.tokenType !== EOF && !t.isInsertedInRecovery;
}

export function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

/** How a message names a token: `'matmul'`, `')'`, or "the end of the file". */
export function describeToken(t: IToken): string {
  return isReal(t) ? `'${t.image}'` : "the end of the file";
}

/**
 * The tokens of the whole file in order, for looking around an error: which call's parenthesis is open, which
 * block is being parsed, what the previous real token is.
 */
export class TokenContext {
  constructor(
    readonly tokens: readonly IToken[],
    readonly text: string,
  ) {}

  /** Index of the last real token that starts before `offset` (or -1). Offsets of real tokens are increasing. */
  indexBefore(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.startOffset < offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The real token before `t`; for EOF or an invented token, the last real token the parser saw (`previous`). */
  previous(t: IToken, previous: IToken | undefined): IToken | undefined {
    if (isReal(t)) return this.tokens[this.indexBefore(t.startOffset)];
    if (isReal(previous)) return previous;
    return this.tokens[this.tokens.length - 1];
  }

  /** The callee of the innermost '(' still open before index `i`, if an identifier precedes it. */
  openCallee(i: number): string | undefined {
    let depth = 0;
    for (let j = i; j >= 0; j--) {
      const t = this.tokens[j]!;
      if (tokenMatcher(t, T.RParen)) depth++;
      else if (tokenMatcher(t, T.LParen)) {
        if (depth === 0) {
          const before = this.tokens[j - 1];
          return before && tokenMatcher(before, T.Ident) ? before.image : undefined;
        }
        depth--;
      }
    }
    return undefined;
  }

  /** The nearest token of type `type` at or before index `i`. */
  findBack(i: number, type: TokenType): IToken | undefined {
    for (let j = i; j >= 0; j--) if (tokenMatcher(this.tokens[j]!, type)) return this.tokens[j];
    return undefined;
  }

  /** The name of the nearest `block NAME` at or before index `i`. */
  blockName(i: number): string | undefined {
    for (let j = i; j >= 0; j--) {
      if (tokenMatcher(this.tokens[j]!, T.Block)) {
        const name = this.tokens[j + 1];
        return name && tokenMatcher(name, T.Ident) ? name.image : undefined;
      }
    }
    return undefined;
  }

  /** True when a line break separates the end of `a` from the start of `b`. */
  lineBreakBetween(a: IToken, b: IToken): boolean {
    return this.text.slice(a.startOffset + a.image.length, b.startOffset).includes("\n");
  }
}

/** One recognition error -> one diagnostic. */
export function parseDiagnostic(e: IRecognitionException, ctx: TokenContext, file: string): Diagnostic {
  const failure = decode(e.message);
  const actual = e.token;
  // Chevrotain's top-level recovery skips a token that cannot start a statement and reports "expected EOF".
  if (failure?.kind === "mismatch" && failure.expected === "EOF" && isReal(actual)) {
    return strayTokenDiagnostic(actual, file);
  }
  const prev = ctx.previous(actual, (e as { previousToken?: IToken }).previousToken);
  const prevIndex = prev ? ctx.indexBefore(prev.startOffset + 1) : -1;
  // Report at the unexpected token when it sits on the same line; otherwise just after the previous token, where
  // the missing piece belongs (an error "at" the next line's first word reads as if that line were wrong).
  const atActual = isReal(actual) && !(prev && ctx.lineBreakBetween(prev, actual));
  const span = atActual ? tokenSpan(actual) : after(prev, ctx.text.length);
  // `repeat layer(x)`: the call was read as the count, so the block call is missing; point at `repeat`.
  if (
    failure?.kind === "mismatch" &&
    failure.rule === "call" &&
    e.context.ruleStack.at(-2) === "repeatExpr"
  ) {
    const kw = ctx.findBack(prevIndex, T.Repeat);
    return diag(M.repeatNeedsCall, file, kw ? tokenSpan(kw) : span);
  }
  const what = expectation(failure, prev, prevIndex, ctx);
  return atActual
    ? diag(M.expectedFound, file, span, [what, describeToken(actual)])
    : diag(M.expected, file, span, [what]);
}

/** A statement-level leftover (chevrotain's NotAllInputParsed): a token that cannot start a statement. */
export function strayTokenDiagnostic(t: IToken, file: string): Diagnostic {
  const span = tokenSpan(t);
  if (tokenMatcher(t, T.Return)) return diag(M.returnOutsideBlock, file, span);
  if (tokenMatcher(t, T.RBrace)) return diag(M.unmatchedBrace, file, span);
  return diag(M.notAStatement, file, span, [describeToken(t)]);
}

/** The one character just after `t` (empty at the end of the text, which the formatter still shows). */
function after(t: IToken | undefined, textLength: number): Span | undefined {
  if (!t) return undefined;
  const end = t.startOffset + t.image.length;
  return { start: end, end: Math.min(end + 1, textLength) };
}

function decode(message: string): ParseFailure | undefined {
  try {
    return JSON.parse(message) as ParseFailure;
  } catch {
    return undefined;
  }
}

/** What the parser wanted, said the way a person would ("')' after the arguments of 'matmul'"). */
function expectation(
  f: ParseFailure | undefined,
  prev: IToken | undefined,
  prevIndex: number,
  ctx: TokenContext,
): string {
  const afterPrev = prev ? ` after ${describeToken(prev)}` : "";
  if (!f || f.kind === "notAllInput") return `a statement${afterPrev}`;
  if (f.kind !== "mismatch") return `${f.rule === "argument" ? "an argument" : "an expression"}${afterPrev}`;
  const rule = f.rule;
  const block = ctx.blockName(prevIndex);
  const blockWords = block ? `block '${block}'` : "the block";
  switch (f.expected) {
    case "RParen": {
      if (rule === "call") {
        const callee = ctx.openCallee(prevIndex);
        return callee ? `')' after the arguments of '${callee}'` : "')' after the arguments";
      }
      if (rule === "blockDecl") return `')' after the ports of ${blockWords}`;
      return "')' to close '('";
    }
    case "RBracket":
      return rule === "typeExpr" ? "']' after the shape" : "']' to close the list";
    case "RBrace":
      return `'}' to close ${blockWords}`;
    case "Return":
      return `'return NAME' at the end of ${blockWords}`;
    case "LBrace":
      return `'{' to open the body of ${blockWords}`;
    case "Arrow":
      return `'->' and the result type after the ports of ${blockWords}`;
    case "LParen":
      return rule === "blockDecl" ? `'(' and the ports of ${blockWords}` : `'('${afterPrev}`;
    case "LBracket":
      return `'[' and a shape${afterPrev} (a type is DTYPE[SHAPE])`;
    case "Colon":
      return `':' and a type${afterPrev}`;
    case "Equals":
      return `'='${afterPrev}`;
    case "Ident":
      if (rule === "typeExpr") return `a dtype${afterPrev}`;
      return `a name${afterPrev}`;
    default:
      return `${tokenLabel(f.expected)}${afterPrev}`;
  }
}

function tokenLabel(name: string): string {
  const t = T.allTokens.find((tt) => tt.name === name);
  return t?.LABEL ?? name;
}
