/**
 * A small PNG encoder for 8-bit pixels, for runtimes without a canvas (Node,
 * Deno, Bun, workers): scanlines with filter type 0, compressed by the
 * platform's CompressionStream('deflate') (zlib framing, as PNG's IDAT
 * requires). Output is deterministic for a given zlib.
 */
import { concatBytes } from '../../schema/bytes.js';

/** Colour types PNG and PIL share: L (0), RGB (2), RGBA (6). */
const COLOUR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;

export interface Pixels {
  width: number;
  height: number;
  /** 1 (grey, PIL's "L"), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4;
  /** Row-major, `height * width * channels` bytes. */
  data: Uint8Array;
}

let crcTable: Uint32Array | undefined;

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

export async function encodePng(pixels: Pixels): Promise<Uint8Array> {
  const { width, height, channels, data } = pixels;
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8;
  header[9] = COLOUR_TYPE[channels];
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', await deflate(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  return concatBytes(parts);
}
