/**
 * Text as MLflow's Python server sees it: a sequence of code points.
 * JavaScript strings are UTF-16 units, so two rules differ:
 * - a lone surrogate (half of a pair) is no code point at all: the server
 *   cannot encode it and stores an empty or mangled value, so it must be
 *   refused here;
 * - Python's len() counts a surrogate pair (an emoji, an astral letter) once,
 *   String.length twice: limits are counted in code points.
 * Every function is cheap for text without surrogates (the common case):
 * one regex scan, or none when the UTF-16 length already settles it.
 */

/** Any surrogate: text without one is well-formed, and its length is its code-point count. */
const SURROGATE = /[\uD800-\uDFFF]/;
/** A surrogate that is not half of a pair (no `u` flag: this regex sees UTF-16 units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Index (in UTF-16 units) of the first lone surrogate, or -1 when `s` is well-formed Unicode. */
export function loneSurrogateIndex(s: string): number {
  if (!SURROGATE.test(s)) return -1;
  return LONE_SURROGATE.exec(s)?.index ?? -1;
}

/** Python's len(s): code points, a surrogate pair counted once. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if (isHigh(s.charCodeAt(i)) && isLow(s.charCodeAt(i + 1))) {
      n--;
      i++;
    }
  }
  return n;
}

/** Whether `s` has more than `limit` code points; counts only when its UTF-16 length is over the limit. */
export function exceedsCodePoints(s: string, limit: number): boolean {
  return s.length > limit && codePointLength(s) > limit;
}

/** Bytes of `s` in UTF-8 (a well-formed pair is 4 bytes, each half counted 2). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return n;
}

/** The first `max` units of `s` for a message, never ending in half of a pair. */
export function preview(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = isHigh(s.charCodeAt(max - 1)) ? max - 1 : max;
  return s.slice(0, end) + '…';
}
