// The grammar of the model language: tokens in, a concrete syntax tree (cst.ts) and recognition errors out.
// Syntax only: meaning, names and dtypes are checked by the CST-to-AST visitor (to-ast.ts). Error recovery is on, so
// one run reports several mistakes; error messages are JSON records that errors.ts turns into human words.
import { CstParser, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import * as T from "./lexer.ts";

/** What chevrotain knew when it failed, serialized into the exception's message (decoded by errors.ts). */
export type ParseFailure =
  | { readonly kind: "mismatch"; readonly expected: string; readonly rule: string }
  | { readonly kind: "noViableAlt"; readonly rule: string }
  | { readonly kind: "earlyExit"; readonly rule: string }
  | { readonly kind: "notAllInput" };

const failureMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) =>
    JSON.stringify({ kind: "mismatch", expected: expected.name, rule: ruleName } satisfies ParseFailure),
  buildNotAllInputParsedMessage: () => JSON.stringify({ kind: "notAllInput" } satisfies ParseFailure),
  buildNoViableAltMessage: ({ ruleName }) =>
    JSON.stringify({ kind: "noViableAlt", rule: ruleName } satisfies ParseFailure),
  buildEarlyExitMessage: ({ ruleName }) =>
    JSON.stringify({ kind: "earlyExit", rule: ruleName } satisfies ParseFailure),
};

const CLOSERS: ReadonlySet<TokenType> = new Set([T.RParen, T.RBracket, T.RBrace]);

export class ModelParser extends CstParser {
  constructor() {
    super(T.allTokens as TokenType[], { recoveryEnabled: true, errorMessageProvider: failureMessages });
    this.performSelfAnalysis();
  }

  /**
   * Recovery may invent only closing tokens: an invented '[' or '(' makes the parser read the next statement as
   * the inside of a shape or call, and the messages that follow describe a file the user did not write.
   */
  protected override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return CLOSERS.has(tokType);
  }

  readonly model = this.RULE("model", () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  /** Block bodies use the same rule; the visitor reports statements that do not belong in a block. */
  readonly statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.tensorDecl) },
      { ALT: () => this.SUBRULE(this.outputDecl) },
      { ALT: () => this.SUBRULE(this.blockDecl) },
      { ALT: () => this.SUBRULE(this.assign) },
    ]);
  });

  readonly modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Ident);
  });

  readonly constDecl = this.RULE("constDecl", () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Ident);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  readonly tensorDecl = this.RULE("tensorDecl", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Input) },
      { ALT: () => this.CONSUME(T.Param) },
      { ALT: () => this.CONSUME(T.State) },
    ]);
    this.CONSUME(T.Ident);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  readonly outputDecl = this.RULE("outputDecl", () => {
    this.CONSUME(T.Output);
    this.CONSUME(T.Ident);
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeExpr);
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  readonly assign = this.RULE("assign", () => {
    this.CONSUME(T.Ident);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.Ident);
    });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  readonly blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Ident);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.port);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.port);
      });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Arrow);
    this.SUBRULE(this.typeExpr);
    this.CONSUME(T.LBrace);
    this.MANY2(() => this.SUBRULE(this.statement));
    this.CONSUME(T.Return);
    this.CONSUME2(T.Ident);
    this.CONSUME(T.RBrace);
  });

  readonly port = this.RULE("port", () => {
    this.CONSUME(T.Ident);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  /** `DTYPE[SHAPE]`; the dtype is a name here so that a misspelt one gets a near-miss hint, not a syntax error. */
  readonly typeExpr = this.RULE("typeExpr", () => {
    this.CONSUME(T.Ident);
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression);
      });
    });
    this.CONSUME(T.RBracket);
  });

  /** The right-hand side of `=` in an assignment or output. */
  readonly value = this.RULE("value", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.repeatExpr) }, { ALT: () => this.SUBRULE(this.expression) }]);
  });

  readonly repeatExpr = this.RULE("repeatExpr", () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expression);
    this.SUBRULE(this.call);
  });

  readonly expression = this.RULE("expression", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  readonly multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star) },
        { ALT: () => this.CONSUME(T.Slash) },
        { ALT: () => this.CONSUME(T.Percent) },
      ]);
      this.SUBRULE2(this.unary);
    });
  });

  readonly unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  readonly primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.CONSUME(T.Ident) },
    ]);
  });

  readonly parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });

  readonly list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression);
      });
    });
    this.CONSUME(T.RBracket);
  });

  readonly call = this.RULE("call", () => {
    this.CONSUME(T.Ident);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.argument);
      });
    });
    this.CONSUME(T.RParen);
  });

  /** `key=value` needs two tokens of lookahead to tell from a positional name. */
  readonly argument = this.RULE("argument", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.attribute) }, { ALT: () => this.SUBRULE(this.expression) }]);
  });

  readonly attribute = this.RULE("attribute", () => {
    this.CONSUME(T.Ident);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });
}

/** One parser for the whole process: building one runs the grammar analysis, which is the slow part. */
let shared: ModelParser | undefined;

export function modelParser(): ModelParser {
  shared ??= new ModelParser();
  return shared;
}

export type { IToken };
