/**
 * Images as mlflow.log_image stores them. Input is turned into pixels the way
 * MLflow's numpy conversion does (integers must lie in 0..255; floats in
 * [0, 1] are scaled by 255 and truncated, out-of-range floats are min-max
 * rescaled first; H×W×1 is grey), or kept as the canvas's own encoding.
 * Refused input throws before anything is stored.
 */
import { invalidParameter } from '../../schema/errors.js';
import { describe } from '../../schema/validation.js';
import { encodePng, type Pixels } from './png.js';
import { encodeWebpLossless } from './webp.js';

type NumericArray =
  | Uint8Array
  | Uint8ClampedArray
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | number[];

/** Pixels as numbers, row-major: `{ data, width, height }` (channels from the length) or numpy-style `{ data, shape: [H, W] | [H, W, C] }`. */
export type ImageArray =
  | { data: NumericArray; width: number; height: number; shape?: never }
  | { data: NumericArray; shape: readonly number[]; width?: never; height?: never };

/** What run.logImage and run.logFigure take; ImageData fits `ImageArray` (4 channels). */
export type ImageInput = HTMLCanvasElement | OffscreenCanvas | ImageData | Blob | ImageArray;

/** Where MLflow's thumbnail has its longer side. */
export const COMPRESSED_IMAGE_SIZE = 256;

type AnyCanvas = HTMLCanvasElement | OffscreenCanvas;

export function isCanvas(value: unknown): value is AnyCanvas {
  return (
    (typeof HTMLCanvasElement !== 'undefined' && value instanceof HTMLCanvasElement) ||
    (typeof OffscreenCanvas !== 'undefined' && value instanceof OffscreenCanvas)
  );
}

const INTEGER_ARRAYS = [Uint8Array, Uint8ClampedArray, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array];

const unsupported = (image: unknown, why: string) =>
  invalidParameter(
    `Unsupported image ${describeImage(image)}: ${why} Pass an HTMLCanvasElement or OffscreenCanvas, an ImageData, a PNG or JPEG Blob, or pixels as { data, width, height } / { data, shape: [H, W, C] } with 1, 3 or 4 channels.`,
  );

function describeImage(image: unknown): string {
  if (typeof Blob !== 'undefined' && image instanceof Blob) return `(a Blob of type '${image.type}')`;
  if (image !== null && typeof image === 'object') return `(${image.constructor?.name ?? 'object'})`;
  return describe(image);
}

/** MLflow's convert_to_pil_image for a typed array of pixels. */
export function toPixels(image: ImageArray): Pixels {
  const data = image.data;
  const isArray = Array.isArray(data) || ArrayBuffer.isView(data);
  if (!isArray) throw unsupported(image, "its 'data' is not an array of numbers.");
  let height: number;
  let width: number;
  let channels: number;
  if (image.shape !== undefined) {
    const shape = image.shape;
    if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3)) {
      throw unsupported(image, `\`image\` must be a 2D or 3D array but got image shape: ${describe(shape)}.`);
    }
    height = shape[0] as number;
    width = shape[1] as number;
    channels = shape.length === 3 ? (shape[2] as number) : 1;
  } else {
    height = image.height;
    width = image.width;
    channels =
      Number.isInteger(width) && Number.isInteger(height) && width * height > 0 ? data.length / (width * height) : 0;
  }
  if (![height, width].every((n) => Number.isInteger(n) && n > 0)) {
    throw unsupported(
      image,
      `width and height must be positive integers, not ${describe(width)} and ${describe(height)}.`,
    );
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw unsupported(image, `Invalid channel length: ${describe(channels)}. Must be one of [1, 3, 4].`);
  }
  if (data.length !== height * width * channels) {
    throw unsupported(image, `it has ${data.length} values, not ${height}x${width}x${channels}.`);
  }
  const isInteger =
    INTEGER_ARRAYS.some((T) => data instanceof T) || (Array.isArray(data) && data.every(Number.isInteger));
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (typeof v !== 'number' || Number.isNaN(v))
      throw unsupported(image, `value ${i} is ${describe(v)}, not a number.`);
    if (v < low) low = v;
    if (v > high) high = v;
  }
  const out = new Uint8Array(data.length);
  if (isInteger) {
    if (low < 0 || high > 255) {
      throw unsupported(
        image,
        `Integer pixel values out of acceptable range [0, 255]. Found minimum value ${low} and maximum value ${high}.`,
      );
    }
    out.set(data as ArrayLike<number>);
  } else {
    // MLflow min-max rescales out-of-range floats (with a warning), then truncates x * 255,
    // in the array's precision (float32 arithmetic rounds where float64 would not).
    const r = data instanceof Float32Array ? Math.fround : (x: number) => x;
    const rescale = low < 0 || high > 1;
    const span = r(high - low);
    for (let i = 0; i < data.length; i++) {
      const v = rescale ? r(r((data[i] as number) - low) / span) : (data[i] as number);
      out[i] = Math.trunc(r(v * 255));
    }
  }
  return { width, height, channels, data: out };
}

export function isPixelArray(image: unknown): image is ImageArray {
  return image !== null && typeof image === 'object' && 'data' in image && !(image instanceof Blob);
}

/** MLflow's compress_image_size: the longer side becomes 256 (up or down), the other keeps the ratio, truncated. */
export function thumbnailSize(width: number, height: number): [number, number] {
  if (width > height) return [COMPRESSED_IMAGE_SIZE, Math.max(1, Math.trunc(height * (COMPRESSED_IMAGE_SIZE / width)))];
  return [Math.max(1, Math.trunc(width * (COMPRESSED_IMAGE_SIZE / height))), COMPRESSED_IMAGE_SIZE];
}

/** Bilinear resampling (PIL uses bicubic; the thumbnail is only shown, never compared). */
export function resize(src: Pixels, width: number, height: number): Pixels {
  const { channels: c, data } = src;
  const out = new Uint8Array(width * height * c);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), src.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), src.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const wx = fx - x0;
      for (let k = 0; k < c; k++) {
        const at = (yy: number, xx: number) => data[(yy * src.width + xx) * c + k]!;
        const top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
        const bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
        out[(y * width + x) * c + k] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return { width, height, channels: c, data: out };
}

async function canvasBlob(canvas: AnyCanvas, type: string): Promise<Blob> {
  if ('convertToBlob' in canvas) return canvas.convertToBlob({ type });
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The canvas could not be encoded.'))), type),
  );
}

function canvasPixels(canvas: AnyCanvas): Pixels {
  const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (context === null) throw unsupported(canvas, 'its pixels cannot be read (it holds a WebGL or bitmap context).');
  const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
  return { width, height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

const hasOffscreen = () => typeof OffscreenCanvas !== 'undefined';

/** An image ready to store: the full-size file and, on demand, MLflow's thumbnail. */
export interface PreparedImage {
  /** 'png' or 'jpeg': what `bytes` holds. */
  format: 'png' | 'jpeg';
  bytes: Uint8Array;
  thumbnail(): Promise<Uint8Array>;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** Decodes an encoded image with the browser's decoder (there is none without a canvas). */
async function decodeToPixels(blob: Blob): Promise<Pixels> {
  if (typeof createImageBitmap === 'undefined' || !hasOffscreen()) {
    throw unsupported(
      blob,
      'decoding a PNG or JPEG Blob needs createImageBitmap and OffscreenCanvas, which this runtime lacks. Pass the pixels instead.',
    );
  }
  const bitmap = await createImageBitmap(blob);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvasPixels(canvas);
}

async function webpThumbnail(pixels: Pixels): Promise<Uint8Array> {
  const [w, h] = thumbnailSize(pixels.width, pixels.height);
  return encodeWebpLossless(resize(pixels, w, h));
}

/**
 * Checks and encodes `image`. With `format: 'jpeg'` the image is stored as
 * JPEG (a canvas encodes it; a JPEG Blob is kept); otherwise as PNG.
 */
export async function prepareImage(image: unknown, format: 'png' | 'jpeg' = 'png'): Promise<PreparedImage> {
  if (isCanvas(image)) {
    const canvas = image;
    const encoded = new Uint8Array(await (await canvasBlob(canvas, `image/${format}`)).arrayBuffer());
    if (!startsWith(encoded, format === 'png' ? PNG_MAGIC : JPEG_MAGIC)) {
      throw unsupported(image, `this browser's canvas cannot encode image/${format}.`);
    }
    return {
      format,
      bytes: encoded,
      thumbnail: async () => {
        const [w, h] = thumbnailSize(canvas.width, canvas.height);
        const small = new OffscreenCanvas(w, h);
        const context = small.getContext('2d')!;
        context.imageSmoothingQuality = 'high';
        context.drawImage(canvas, 0, 0, w, h);
        const webp = new Uint8Array(await (await small.convertToBlob({ type: 'image/webp' })).arrayBuffer());
        // Canvases that cannot write WebP (Safari) fall back to PNG: encode it here instead.
        return startsWith(webp, [0x52, 0x49, 0x46, 0x46]) ? webp : encodeWebpLossless(canvasPixels(small));
      },
    };
  }
  if (typeof Blob !== 'undefined' && image instanceof Blob) {
    const bytes = new Uint8Array(await image.arrayBuffer());
    const kind = startsWith(bytes, PNG_MAGIC) ? 'png' : startsWith(bytes, JPEG_MAGIC) ? 'jpeg' : undefined;
    if (kind === undefined || (image.type !== '' && image.type !== `image/${kind}`)) {
      throw unsupported(image, 'only PNG (image/png) and JPEG (image/jpeg) Blobs are images MLflow stores.');
    }
    if (kind !== format) {
      const pixels = await decodeToPixels(image);
      return prepareImage({ data: pixels.data, width: pixels.width, height: pixels.height }, format);
    }
    let decoded: Pixels | undefined;
    return {
      format: kind,
      bytes,
      thumbnail: async () => webpThumbnail((decoded ??= await decodeToPixels(image))),
    };
  }
  if (!isPixelArray(image)) throw unsupported(image, 'it is not an image.');
  const pixels = toPixels(image);
  if (format === 'jpeg') {
    if (pixels.channels === 4)
      throw unsupported(
        image,
        'JPEG has no alpha channel (PIL refuses RGBA as JPEG). Pass 1 or 3 channels, or use .png.',
      );
    if (!hasOffscreen())
      throw unsupported(image, 'encoding JPEG needs OffscreenCanvas, which this runtime lacks. Use .png.');
    const canvas = new OffscreenCanvas(pixels.width, pixels.height);
    canvas.getContext('2d')!.putImageData(new ImageData(toRgba(pixels), pixels.width, pixels.height), 0, 0);
    return prepareImage(canvas, 'jpeg');
  }
  const bytes = await encodePng(pixels);
  return { format: 'png', bytes, thumbnail: () => webpThumbnail(pixels) };
}

function toRgba(p: Pixels): Uint8ClampedArray<ArrayBuffer> {
  const n = p.width * p.height;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) out[i * 4 + k] = p.data[i * p.channels + (p.channels === 1 ? 0 : k)]!;
    out[i * 4 + 3] = p.channels === 4 ? p.data[i * 4 + 3]! : 255;
  }
  return out;
}
