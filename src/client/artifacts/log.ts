/**
 * The log_* helpers of mlflow.tracking.MlflowClient, built on logArtifact.
 * Every input is checked and every file encoded before the first write, so
 * refused input stores nothing. Tables are read, appended and written one
 * call at a time per run, so repeated calls append in call order.
 */
import type { ArtifactData } from '../../protocol.js';
import type { FileInfo } from '../../schema/entities.js';
import { invalidParameter, MlflowEdgeError } from '../../schema/errors.js';
import { pyJsonDumps } from '../../schema/python.js';
import { describe, validateArtifactPath } from '../../schema/validation.js';
import { serializeDict } from './dict.js';
import { type FigureInput, svgText } from './figure.js';
import { isCanvas, prepareImage } from './image.js';
import { appendTable, loggedArtifactsWith, parseTable, tableJson, toTable, validateTableFile } from './table.js';

/** mlflow.utils.mlflow_tags. */
export const MLFLOW_LOGGED_ARTIFACTS = 'mlflow.loggedArtifacts';
export const MLFLOW_LOGGED_IMAGES = 'mlflow.loggedImages';

/** What the helpers need from a run handle. */
export interface LogHelperHost {
  runId: string;
  writeFile(path: string, data: ArtifactData): Promise<FileInfo>;
  readFile(path: string): Promise<Blob>;
  /** The tag's stored value, after everything logged before is on disk. */
  currentTag(key: string): Promise<string | undefined>;
  /** Sets the tag and resolves when it is on disk. */
  setTag(key: string, value: string): Promise<void>;
  /** The last table write under way (tables append one at a time). */
  tables: Promise<unknown>;
}

export async function logDict(host: LogHelperHost, dictionary: unknown, artifactFile: string): Promise<FileInfo> {
  validateArtifactPath(artifactFile);
  return host.writeFile(artifactFile, await serializeDict(dictionary, artifactFile));
}

export async function logText(host: LogHelperHost, text: string, artifactFile: string): Promise<FileInfo> {
  validateArtifactPath(artifactFile);
  if (typeof text !== 'string') {
    throw invalidParameter(`Invalid text ${describe(text)} for ${describe(artifactFile)}: pass a string.`);
  }
  return host.writeFile(artifactFile, text);
}

export function logTable(host: LogHelperHost, data: unknown, artifactFile: string): Promise<FileInfo> {
  try {
    validateArtifactPath(artifactFile);
    validateTableFile(artifactFile);
  } catch (error) {
    return Promise.reject(error);
  }
  let table: ReturnType<typeof toTable>;
  try {
    table = toTable(data);
  } catch (error) {
    return Promise.reject(error);
  }
  const write = async () => {
    let combined = table;
    try {
      const existing = await host.readFile(artifactFile);
      combined = appendTable(parseTable(await existing.text(), artifactFile), table);
    } catch (error) {
      if (!(error instanceof MlflowEdgeError && error.code === 'RESOURCE_DOES_NOT_EXIST')) throw error;
    }
    const info = await host.writeFile(artifactFile, tableJson(combined));
    const entries = loggedArtifactsWith(await host.currentTag(MLFLOW_LOGGED_ARTIFACTS), artifactFile);
    if (entries !== undefined) await host.setTag(MLFLOW_LOGGED_ARTIFACTS, pyJsonDumps(entries));
    return info;
  };
  const result = host.tables.then(write, write);
  host.tables = result.catch(() => undefined);
  return result;
}

const IMAGE_KEY = /^[a-zA-Z0-9_\-./ ]+$/;

function uuid4(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function imageFormat(artifactFile: string): 'png' | 'jpeg' {
  const ext = artifactFile.slice(artifactFile.lastIndexOf('.')).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw invalidParameter(
    `Invalid image file ${describe(artifactFile)}: images are stored as .png, .jpg or .jpeg (the format follows the extension, as PIL's save does).`,
  );
}

export async function logImage(
  host: LogHelperHost,
  image: unknown,
  where: { key: string; step?: number; timestamp?: number } | string,
): Promise<FileInfo> {
  if (typeof where === 'string') {
    validateArtifactPath(where);
    const prepared = await prepareImage(image, imageFormat(where));
    return host.writeFile(where, prepared.bytes);
  }
  if (where === null || typeof where !== 'object') {
    throw invalidParameter(
      `Invalid image destination ${describe(where)}: pass { key, step } for MLflow's Image chart or an artifact file such as 'plots/sample.png'.`,
    );
  }
  const { key } = where;
  if (typeof key !== 'string' || !IMAGE_KEY.test(key)) {
    throw invalidParameter(
      `Invalid image key ${describe(key)}: the key may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`,
    );
  }
  // MLflow: `step or 0`, `timestamp or now`.
  const step = where.step || 0;
  const timestamp = where.timestamp || Date.now();
  if (!Number.isSafeInteger(step)) {
    throw invalidParameter(`Invalid step ${describe(step)} for image '${key}': pass a whole number such as the epoch.`);
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw invalidParameter(
      `Invalid timestamp ${describe(timestamp)} for image '${key}': pass milliseconds since the Unix epoch, e.g. Date.now().`,
    );
  }
  const prepared = await prepareImage(image, 'png');
  const thumbnail = await prepared.thumbnail();
  const base = `images/${key.replace(/\//g, '~')}+step+${step}+timestamp+${timestamp}+${uuid4()}`;
  validateArtifactPath(`${base}.png`);
  const info = await host.writeFile(`${base}.png`, prepared.bytes);
  await host.writeFile(`${base}+compressed.webp`, thumbnail);
  await host.setTag(MLFLOW_LOGGED_IMAGES, 'True');
  return info;
}

export async function logFigure(host: LogHelperHost, figure: FigureInput, artifactFile: string): Promise<FileInfo> {
  validateArtifactPath(artifactFile);
  const ext = artifactFile.slice(artifactFile.lastIndexOf('.')).toLowerCase();
  if (ext === '.svg') {
    const svg = svgText(figure);
    if (svg === undefined) {
      throw invalidParameter(
        `Unsupported figure for ${describe(artifactFile)}: a .svg figure must be an <svg> element or SVG markup. Save a canvas chart as .png.`,
      );
    }
    return host.writeFile(artifactFile, svg);
  }
  if (ext === '.png' || ext === '.jpg' || ext === '.jpeg') {
    if (!isCanvas(figure)) {
      throw invalidParameter(
        `Unsupported figure for ${describe(artifactFile)}: a ${ext} figure must be a canvas (HTMLCanvasElement or OffscreenCanvas). Save an SVG chart as .svg.`,
      );
    }
    return logImage(host, figure, artifactFile);
  }
  throw invalidParameter(
    `Invalid figure file ${describe(artifactFile)}: figures are stored as .svg (SVG charts) or .png/.jpg (canvas charts).`,
  );
}
