// The model-language front end: text -> AST + diagnostics. Never throws on any input.
// Contract: `ast` is present exactly when there is no error; a recovered, partial tree is never handed on, so later
// stages never see holes. Diagnostics are LPU1xxx (messages.ts), several per run thanks to error recovery.
import type { IRecognitionException, IToken } from "chevrotain";
import { type Diagnostic, diag, hasErrors, LineIndex, sortDiagnostics } from "../../util/diagnostics.ts";
import type * as A from "./ast.ts";
import type * as C from "./cst.ts";
import {
  lexingDiagnostic,
  parseDiagnostic,
  strayTokenDiagnostic,
  TokenContext,
  tokenSpan,
} from "./errors.ts";
import * as T from "./lexer.ts";
import { M } from "./messages.ts";
import { modelParser } from "./parser.ts";
import { buildStatements } from "./to-ast.ts";

export type * from "./ast.ts";

export interface ParseResult {
  readonly ast: A.Model | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseModel(text: string, file: string): ParseResult {
  const lexed = T.modelLexer.tokenize(text);
  const diagnostics: Diagnostic[] = lexed.errors.map((e) => lexingDiagnostic(e, text, file));
  const tokens = lexed.tokens;
  const ctx = new TokenContext(tokens, text);
  const parseErrors: Diagnostic[] = [];
  const cst = parseStatements(tokens, ctx, file, parseErrors);
  diagnostics.push(...onePerLine(parseErrors, diagnostics, new LineIndex(text)));
  const built = buildStatements(cst, file);
  diagnostics.push(...built.diagnostics);
  const syntaxOk = !hasErrors(diagnostics);
  const named = checkModelStatement(built.statements, tokens, file, syntaxOk, diagnostics);
  if (!named || hasErrors(diagnostics)) return { ast: undefined, diagnostics };
  const span = { start: 0, end: text.length };
  return { ast: { kind: "Model", name: named.name, statements: built.statements, span }, diagnostics };
}

/**
 * Parses statement after statement. Chevrotain stops at a token that cannot start a statement (NotAllInputParsed);
 * we report it and parse again from the next line that starts like a statement, so later mistakes still show.
 */
function parseStatements(
  tokens: readonly IToken[],
  ctx: TokenContext,
  file: string,
  out: Diagnostic[],
): C.StatementCstNode[] {
  const parser = modelParser();
  const statements: C.StatementCstNode[] = [];
  let start = 0;
  while (start < tokens.length) {
    parser.input = tokens.slice(start);
    const cst = parser.model() as C.ModelCstNode;
    statements.push(...(cst.children.statement ?? []));
    let stray: IToken | undefined;
    for (const e of parser.errors as IRecognitionException[]) {
      if (e.name === "NotAllInputParsedException") stray = e.token;
      else out.push(parseDiagnostic(e, ctx, file));
    }
    if (!stray) break;
    out.push(strayTokenDiagnostic(stray, file));
    const at = tokens.indexOf(stray, start);
    start = nextStatementStart(tokens, ctx, at + 1);
  }
  return statements;
}

/**
 * Keeps the first parse error of each line, and none on a line that already has a lexing error: after the first
 * mistake on a line, recovery is guessing, and its further messages mostly describe the guess.
 */
function onePerLine(
  parseErrors: readonly Diagnostic[],
  lexErrors: readonly Diagnostic[],
  index: LineIndex,
): Diagnostic[] {
  const lineOf = (d: Diagnostic) => (d.span && d.span.start >= 0 ? index.position(d.span.start).line : 0);
  const taken = new Set(lexErrors.map(lineOf));
  const kept: Diagnostic[] = [];
  for (const d of sortDiagnostics(parseErrors)) {
    const line = lineOf(d);
    if (taken.has(line)) continue;
    taken.add(line);
    kept.push(d);
  }
  return kept;
}

const STATEMENT_KEYWORDS = [T.Model, T.Const, T.Input, T.Param, T.State, T.Output, T.Block];

/** The first token from `i` that begins a line and looks like the start of a statement (or tokens.length). */
function nextStatementStart(tokens: readonly IToken[], ctx: TokenContext, i: number): number {
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    if (prev && !ctx.lineBreakBetween(prev, t)) continue;
    if (STATEMENT_KEYWORDS.includes(t.tokenType)) return i;
    if (t.tokenType === T.Ident && startsAssignment(tokens, i)) return i;
  }
  return tokens.length;
}

/** `NAME (, NAME)* =` */
function startsAssignment(tokens: readonly IToken[], i: number): boolean {
  while (tokens[i]?.tokenType === T.Ident) {
    const next = tokens[i + 1]?.tokenType;
    if (next === T.Equals) return true;
    if (next !== T.Comma) return false;
    i += 2;
  }
  return false;
}

/** `model NAME` comes first, exactly once. Returns it when present. */
function checkModelStatement(
  statements: readonly A.Statement[],
  tokens: readonly IToken[],
  file: string,
  syntaxOk: boolean,
  out: Diagnostic[],
): A.ModelDecl | undefined {
  const decls = statements.filter((s): s is A.ModelDecl => s.kind === "ModelDecl");
  const decl = decls[0];
  if (!decl) {
    // After a syntax error the `model` line may be the statement that was dropped: do not guess.
    if (syntaxOk) out.push(diag(M.missingModel, file, tokens[0] ? tokenSpan(tokens[0]) : undefined));
    return undefined;
  }
  if (statements[0] !== decl) out.push(diag(M.modelNotFirst, file, decl.span, [decl.name.name]));
  for (const extra of decls.slice(1)) out.push(diag(M.duplicateModel, file, extra.span, [decl.name.name]));
  return decl;
}
