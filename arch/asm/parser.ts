// The grammar of `.lasm`: tokens in, a concrete syntax tree out. Syntax only: a line is a directive with
// whitespace-separated argument groups, or an instruction with comma-separated operands; what the words mean is
// decided by the visitor (statements.ts, directives.ts, instructions.ts), which gives better messages than a
// grammar could. One parser instance, reset per input; recovery on, so one run reports several mistakes.
import {
  type CstNode,
  CstParser,
  EOF,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from "chevrotain";
import type { Span } from "../../util/diagnostics.ts";
import * as T from "./lexer.ts";

/** A syntax error in words, with where it is; carried through chevrotain as the exception's JSON message. */
export interface SyntaxProblem {
  readonly text: string;
  readonly span: Span;
}

const TOKEN_WORDS: Readonly<Record<string, string>> = {
  Newline: "the end of the line",
  Ident: "a name",
  Number: "a number",
  String: "a string",
  Directive: "a directive",
  At: "'@'",
  Comma: "','",
  Colon: "':'",
  Equals: "'='",
  LBracket: "'['",
  RBracket: "']'",
};

function isReal(t: IToken | undefined): t is IToken {
  return t !== undefined && Number.isFinite(t.startOffset) && t.tokenType !== EOF && !t.isInsertedInRecovery;
}

function found(t: IToken): string {
  if (!isReal(t)) return "the end of the file";
  return t.tokenType === T.Newline ? "the end of the line" : `'${t.image}'`;
}

/** Where to point: the offending token, or just after the previous real token when there is none. */
function where(actual: IToken, previous: IToken | undefined): Span {
  if (isReal(actual))
    return { start: actual.startOffset, end: actual.startOffset + Math.max(1, actual.image.length) };
  if (isReal(previous)) {
    const end = previous.startOffset + previous.image.length;
    return { start: end, end: end + 1 };
  }
  return { start: -1, end: -1 };
}

const problem = (text: string, span: Span): string => JSON.stringify({ text, span } satisfies SyntaxProblem);

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual, previous }) =>
    problem(
      `expected ${TOKEN_WORDS[expected.name] ?? expected.name}, found ${found(actual)}`,
      where(actual, previous),
    ),
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    problem(`unexpected ${found(firstRedundant)}`, where(firstRedundant, undefined)),
  buildNoViableAltMessage: ({ actual, previous, ruleName }) =>
    problem(
      ruleName === "value"
        ? `expected a value (a number, a name, a string or a list), found ${found(actual[0]!)}`
        : `expected a directive or an instruction, found ${found(actual[0]!)}`,
      where(actual[0]!, previous),
    ),
  buildEarlyExitMessage: ({ actual, previous }) =>
    problem(`unexpected ${found(actual[0]!)}`, where(actual[0]!, previous)),
};

class AsmParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 2, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  /** Recovery may invent only a line end or a closing bracket, never a value the user did not write. */
  protected override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType === T.Newline || tokType === T.RBracket;
  }

  readonly program = this.RULE("program", () => {
    this.MANY(() => this.SUBRULE(this.line));
  });

  readonly line = this.RULE("line", () => {
    this.OPTION(() =>
      this.OR([{ ALT: () => this.SUBRULE(this.directive) }, { ALT: () => this.SUBRULE(this.instruction) }]),
    );
    this.CONSUME(T.Newline);
  });

  /** `.data x fp16 mem3,mem4 0 words=2 fill 1.0`: groups separated by spaces, values in a group by commas. */
  readonly directive = this.RULE("directive", () => {
    this.CONSUME(T.Directive);
    this.MANY(() => this.SUBRULE(this.group));
  });

  readonly group = this.RULE("group", () => {
    this.SUBRULE(this.value);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.value);
    });
  });

  /** `@120 add.fp16 s4e, s0e, s2e, n=4`. */
  readonly instruction = this.RULE("instruction", () => {
    this.OPTION(() => {
      this.CONSUME(T.At);
      this.CONSUME(T.NumberTok);
    });
    this.CONSUME(T.Ident);
    this.OPTION2(() => {
      this.SUBRULE(this.value);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.value);
      });
    });
  });

  /** A number, `chip:link`, a name, `key=value`, a string, or a list. */
  readonly value = this.RULE("value", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.NumberTok);
          this.OPTION(() => {
            this.CONSUME(T.Colon);
            this.CONSUME(T.Ident);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Ident);
          this.OPTION2(() => {
            this.CONSUME(T.Equals);
            this.SUBRULE(this.value);
          });
        },
      },
      { ALT: () => this.CONSUME(T.StringTok) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  readonly list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.CONSUME(T.NumberTok);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.CONSUME2(T.NumberTok);
      });
    });
    this.CONSUME(T.RBracket);
  });
}

let instance: AsmParser | undefined;

/** The one parser instance (building one runs chevrotain's grammar analysis, which is slow). */
export function asmParser(): AsmParser {
  instance ??= new AsmParser();
  return instance;
}

/**
 * Parses one line's tokens (ending in its Newline). A line is the unit of recovery: a line with a syntax error is
 * reported once, at its first problem, and left out, so one mistake never turns the rest of the line into
 * phantom statements, and every other line is still read.
 */
export function parseLine(tokens: IToken[]): { cst: CstNode; problem?: SyntaxProblem } {
  const p = asmParser();
  p.input = tokens;
  const cst = p.line();
  const first = p.errors[0];
  return first ? { cst, problem: JSON.parse(first.message) as SyntaxProblem } : { cst };
}
