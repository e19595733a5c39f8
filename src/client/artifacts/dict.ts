/**
 * mlflow.log_dict's serialization: YAML (PyYAML's `yaml.dump(…, indent=2,
 * default_flow_style=False)`, keys sorted) for `.yml`/`.yaml`, otherwise
 * `json.dump(…, indent=2)` with Python's float reprs and ensure_ascii escapes.
 */
import { invalidParameter } from '../../schema/errors.js';
import { pyJsonDumpsIndented } from '../../schema/python.js';

export async function serializeDict(dictionary: unknown, artifactFile: string): Promise<string> {
  try {
    return await serialize(dictionary, artifactFile);
  } catch (error) {
    // A cycle, or nesting deeper than the stack: Python's json.dump refuses both too ("Circular reference detected").
    if (!(error instanceof RangeError)) throw error;
    throw invalidParameter(
      `The dict for ${JSON.stringify(artifactFile)} has a circular reference or is nested too deeply to write (Python's json.dump refuses it too): nothing was stored. Pass plain data, e.g. JSON.parse(JSON.stringify(…)) of what should be written.`,
    );
  }
}

async function serialize(dictionary: unknown, artifactFile: string): Promise<string> {
  const name = artifactFile.slice(artifactFile.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  // os.path.splitext: a leading dot does not start an extension.
  const extension = dot > 0 && name.slice(0, dot).replace(/^\.+/, '') !== '' ? name.slice(dot) : '';
  if (extension === '.yml' || extension === '.yaml') {
    // Loaded on first use, so pages that never write YAML never load the emitter.
    const { safeDumpYaml } = await import('../../schema/pyyaml/dump.js');
    return safeDumpYaml(dictionary);
  }
  return pyJsonDumpsIndented(dictionary, 2);
}
