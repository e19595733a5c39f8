/**
 * A minimal lossless WebP (VP8L) encoder for runtimes without a canvas, for
 * the `+compressed.webp` thumbnails MLflow's Image chart shows. Every pixel is
 * written as a literal with fixed prefix codes (no transforms, no backward
 * references, no colour cache): about 4 bytes a pixel, which is fine for
 * 256-pixel thumbnails, and every decoder (libwebp, browsers, PIL) reads it.
 * The prefix codes are complete, as libwebp requires.
 */
import type { Pixels } from './png.js';

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private used = 0;

  /** Writes the `n` (≤ 24) low bits of `value`, least significant first, as VP8L reads them. */
  write(value: number, n: number): void {
    this.acc |= value << this.used;
    this.used += n;
    while (this.used >= 8) {
      this.bytes.push(this.acc & 0xff);
      this.acc >>>= 8;
      this.used -= 8;
    }
  }

  finish(): Uint8Array {
    if (this.used > 0) this.bytes.push(this.acc & 0xff);
    return Uint8Array.from(this.bytes);
  }
}

const reverse = (code: number, length: number) => {
  let r = 0;
  for (let i = 0; i < length; i++) r |= ((code >> i) & 1) << (length - 1 - i);
  return r;
};

/** Where symbols 8 and 9 sit in VP8L's code-length-code order (17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, …). */
const ORDER_INDEX_OF_8 = 11;

/**
 * Writes a normal prefix code whose symbols have length 8 up to `eightUpTo`
 * and 9 after it, through a code-length code of two 1-bit codes (8 → 0, 9 → 1).
 */
function writeLengths(w: BitWriter, alphabet: number, eightUpTo: number): void {
  w.write(0, 1); // normal (not simple) code
  w.write(ORDER_INDEX_OF_8 + 2 - 4, 4); // 13 code-length-code lengths follow
  for (let i = 0; i < ORDER_INDEX_OF_8 + 2; i++) w.write(i >= ORDER_INDEX_OF_8 ? 1 : 0, 3);
  w.write(0, 1); // max_symbol = alphabet size
  for (let s = 0; s < alphabet; s++) w.write(s < eightUpTo ? 0 : 1, 1);
}

/** Encodes RGBA (or grey/RGB, made opaque) pixels as a lossless WebP file. */
export function encodeWebpLossless(pixels: Pixels): Uint8Array {
  const { width, height, channels, data } = pixels;
  if (width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw new RangeError(`WebP images are 1 to 16384 pixels a side, not ${width}x${height}.`);
  }
  const n = width * height;
  let hasAlpha = false;
  if (channels === 4) for (let i = 0; i < n && !hasAlpha; i++) hasAlpha = data[i * 4 + 3]! !== 255;

  const w = new BitWriter();
  w.write(0x2f, 8);
  w.write(width - 1, 14);
  w.write(height - 1, 14);
  w.write(hasAlpha ? 1 : 0, 1);
  w.write(0, 3); // version
  w.write(0, 1); // no transform
  w.write(0, 1); // no colour cache
  w.write(0, 1); // no meta prefix codes
  // Green + length prefixes (256 + 24 symbols): 232 of length 8, 48 of length 9 (Kraft sum 1).
  writeLengths(w, 280, 232);
  writeLengths(w, 256, 256); // red
  writeLengths(w, 256, 256); // blue
  writeLengths(w, 256, 256); // alpha
  w.write(0b0001, 4); // distance: simple code, one symbol (0), never read
  const green = new Uint16Array(256);
  for (let s = 0; s < 256; s++) green[s] = s < 232 ? reverse(s, 8) : reverse(464 + (s - 232), 9);
  const plain = new Uint8Array(256);
  for (let s = 0; s < 256; s++) plain[s] = reverse(s, 8);
  for (let i = 0; i < n; i++) {
    let r: number;
    let g: number;
    let b: number;
    let a = 255;
    if (channels === 1) r = g = b = data[i]!;
    else {
      r = data[i * channels]!;
      g = data[i * channels + 1]!;
      b = data[i * channels + 2]!;
      if (channels === 4) a = data[i * 4 + 3]!;
    }
    w.write(green[g]!, g < 232 ? 8 : 9);
    w.write(plain[r]!, 8);
    w.write(plain[b]!, 8);
    w.write(plain[a]!, 8);
  }
  const body = w.finish();
  const padded = body.length + (body.length & 1);
  const out = new Uint8Array(20 + padded);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 12 + padded, true);
  ascii(8, 'WEBP');
  ascii(12, 'VP8L');
  view.setUint32(16, body.length, true);
  out.set(body, 20);
  return out;
}
