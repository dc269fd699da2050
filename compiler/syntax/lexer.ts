// The tokens of the model language and one shared chevrotain lexer. Text in, tokens and lexing errors out.
// Each token's `label` is how messages name it ("')'", "a name"). Whitespace and '#' line comments are skipped.
import { createToken, Lexer, type TokenType } from "chevrotain";

export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

function keyword(word: string): TokenType {
  const name = `${word[0]!.toUpperCase()}${word.slice(1)}`;
  return createToken({ name, pattern: word, longer_alt: Ident, label: `'${word}'` });
}

export const Model = keyword("model");
export const Const = keyword("const");
export const Input = keyword("input");
export const Param = keyword("param");
export const State = keyword("state");
export const Output = keyword("output");
export const Block = keyword("block");
export const Return = keyword("return");
export const Repeat = keyword("repeat");
export const True = keyword("true");
export const False = keyword("false");

// Float before integer is not needed: one pattern covers both; `isInteger` is decided from the text later.
export const NumberLit = createToken({
  name: "NumberLit",
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});

function punct(name: string, text: string): TokenType {
  return createToken({ name, pattern: text, label: `'${text}'` });
}

export const Arrow = punct("Arrow", "->");
export const Plus = punct("Plus", "+");
export const Minus = punct("Minus", "-");
export const Star = punct("Star", "*");
export const Slash = punct("Slash", "/");
export const Percent = punct("Percent", "%");
export const Equals = punct("Equals", "=");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");

const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: Lexer.SKIPPED });

export const KEYWORDS: readonly TokenType[] = [
  Model,
  Const,
  Input,
  Param,
  State,
  Output,
  Block,
  Return,
  Repeat,
  True,
  False,
];

/** Order matters: keywords before Ident, '->' before '-'. */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  Comment,
  ...KEYWORDS,
  Ident,
  NumberLit,
  Arrow,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Equals,
  Comma,
  Colon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
];

/** Offsets only: line and column are computed when a diagnostic is printed. */
export const modelLexer = new Lexer(allTokens as TokenType[], {
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
});
