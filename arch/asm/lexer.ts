// Tokens of the `.lasm` assembly. Lines matter (one statement per line), except inside `[ ... ]` lists, which a
// second lexer mode lets span lines. Comments (`;` to the end of the line) are kept in a group: an instruction's
// trailing comment becomes its note.
import { createToken, Lexer, type TokenType } from "chevrotain";

export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][A-Za-z0-9_.-]*/ });
// `inf` and `nan` are numbers, but `information` is a name: longer_alt lets the identifier win when it is longer.
export const NumberTok = createToken({
  name: "Number",
  pattern: /-?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)/,
  longer_alt: Ident,
});
export const Directive = createToken({ name: "Directive", pattern: /\.[A-Za-z_][A-Za-z0-9_]*/ });
// Exactly the JSON string syntax (no raw control characters, only JSON escapes), so JSON.parse reads every one.
export const StringTok = createToken({
  name: "String",
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range excludes raw control characters, as JSON does
  pattern: /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/,
});
export const At = createToken({ name: "At", pattern: /@/ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const Equals = createToken({ name: "Equals", pattern: /=/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, push_mode: "list" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, pop_mode: true });
export const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true });
export const Comment = createToken({ name: "Comment", pattern: /;[^\n]*/, group: "comments" });
const Space = createToken({ name: "Space", pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
const ListSpace = createToken({
  name: "ListSpace",
  pattern: /[ \t\r\n]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

/** Parser vocabulary (every token the grammar names, in one list). */
export const allTokens: TokenType[] = [
  Space,
  ListSpace,
  Comment,
  Newline,
  Directive,
  StringTok,
  At,
  Comma,
  Colon,
  Equals,
  LBracket,
  RBracket,
  NumberTok,
  Ident,
];

export const asmLexer = new Lexer(
  {
    modes: {
      line: [
        Space,
        Comment,
        Newline,
        Directive,
        StringTok,
        At,
        Comma,
        Colon,
        Equals,
        LBracket,
        NumberTok,
        Ident,
      ],
      list: [ListSpace, Comment, Comma, RBracket, NumberTok, Ident],
    },
    defaultMode: "line",
  },
  { positionTracking: "onlyOffset", ensureOptimizations: false },
);
