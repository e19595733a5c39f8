/**
 * Dataset sources as MLflow writes them (mlflow/data/*_dataset_source.py):
 * a source type and its JSON. A URL or path resolves as MLflow's
 * `resolve_dataset_source` does: http(s) → HTTPDatasetSource
 * (`{"url": …}`), s3/gs/wasbs/hdfs/ftp/sftp URIs → the artifact source
 * named by the scheme, a path or file: URI → `local` (`{"uri": …}`).
 */
import { invalidParameter } from '../errors.js';
import { pyJsonDumps } from '../python.js';

/** MLflow's DatasetSource as logged: `source_type` and `source` (its `to_json()`). */
export interface DatasetSource {
  sourceType: string;
  source: string;
}

const URI_SCHEMES = new Set(['s3', 's3a', 's3n', 'gs', 'wasbs', 'hdfs', 'viewfs', 'ftp', 'sftp']);

export function httpSource(url: string): DatasetSource {
  return { sourceType: 'http', source: pyJsonDumps({ url }) };
}

/** MLflow's CodeDatasetSource: the code that made the dataset, named by the run's source tags. */
export function codeSource(tags: Record<string, string>): DatasetSource {
  return { sourceType: 'code', source: pyJsonDumps({ tags }) };
}

/** A source given as a URL, URI or path, as MLflow's `resolve_dataset_source` resolves it. */
export function resolveSource(source: string | DatasetSource): DatasetSource {
  if (typeof source === 'object' && source !== null) {
    if (typeof source.sourceType !== 'string' || typeof source.source !== 'string' || source.sourceType === '') {
      throw invalidParameter(
        'A dataset source is a URL or path string, or { sourceType, source } with the source as a JSON string (e.g. { sourceType: "http", source: \'{"url": "https://…"}\' }).',
      );
    }
    return { sourceType: source.sourceType, source: source.source };
  }
  if (typeof source !== 'string' || source === '') {
    throw invalidParameter(
      `Invalid dataset source ${String(source)}: pass a URL ('https://…/data.csv'), a storage URI ('s3://bucket/key') or a path.`,
    );
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(source)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return httpSource(source);
  if (scheme === undefined || scheme === 'file' || /^[A-Za-z]:[\\/]/.test(source))
    return { sourceType: 'local', source: pyJsonDumps({ uri: source }) };
  if (URI_SCHEMES.has(scheme)) return { sourceType: scheme, source: pyJsonDumps({ uri: source }) };
  throw invalidParameter(
    `Could not find a dataset source for '${source}' (scheme '${scheme}'). Use an http(s) URL, an s3:, gs:, wasbs:, hdfs:, ftp: or sftp: URI, a path, or pass { sourceType, source } yourself.`,
    { source },
  );
}
