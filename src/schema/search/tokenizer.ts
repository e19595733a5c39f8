/** The tokenizer shared by filters and order_by clauses. */

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'semi';

export interface Token {
  kind: TokenKind;
  /** The source text, quotes included. */
  text: string;
  start: number;
  end: number;
  /** Upper-cased text when the token is one bare word (a keyword candidate), else null. */
  word: string | null;
}

const WHITESPACE = /\s+/uy;
const SINGLE_QUOTED = /'(?:''|\\'|[^'])*'/uy;
/** One identifier segment: a bare word, a "double-quoted" or a `backticked` name. */
const SEGMENT = /[\p{L}_][\p{L}\p{N}_]*|"(?:""|\\"|[^"])*"|`(?:``|[^`])*`/uy;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:e-?\d+)?(?![\p{L}\p{N}_])/iuy;
const OPERATOR = /[<>=~!]+/uy;
const PUNCTUATION: Readonly<Record<string, TokenKind>> = { '(': 'lparen', ')': 'rparen', ',': 'comma', ';': 'semi' };

function matchAt(re: RegExp, s: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(s);
  return m === null ? null : m[0];
}

/** Splits `s` into tokens, or returns the offset of the first character it cannot read. */
export function tokenize(s: string): Token[] | number {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number, word: string | null = null) => {
    tokens.push({ kind, text: s.slice(i, end), start: i, end, word });
    i = end;
  };
  while (i < s.length) {
    const ws = matchAt(WHITESPACE, s, i);
    if (ws !== null) {
      i += ws.length;
      continue;
    }
    const ch = s[i]!;
    const punctuation = PUNCTUATION[ch];
    if (punctuation !== undefined) {
      push(punctuation, i + 1);
      continue;
    }
    const str = matchAt(SINGLE_QUOTED, s, i);
    if (str !== null) {
      push('string', i + str.length);
      continue;
    }
    const num = matchAt(NUMBER, s, i);
    if (num !== null) {
      push('number', i + num.length);
      continue;
    }
    const op = matchAt(OPERATOR, s, i);
    if (op !== null) {
      push('op', i + op.length);
      continue;
    }
    const first = matchAt(SEGMENT, s, i);
    if (first === null) return i;
    // An identifier is segments joined by dots, with nothing between them.
    let end = i + first.length;
    let segments = 1;
    while (s[end] === '.') {
      const next = matchAt(SEGMENT, s, end + 1);
      if (next === null) return end;
      end += 1 + next.length;
      segments += 1;
    }
    const bare = segments === 1 && /^[\p{L}_]/u.test(first);
    push('ident', end, bare ? first.toUpperCase() : null);
  }
  return tokens;
}

export const isWord = (token: Token | undefined, word: string): boolean => token?.word === word;

export const isQuoted = (value: string, quote: string): boolean =>
  value.length >= 2 && value.startsWith(quote) && value.endsWith(quote);
