/**
 * mlflow.log_dict's serialization: YAML (PyYAML's `yaml.dump(…, indent=2,
 * default_flow_style=False)`, keys sorted) for `.yml`/`.yaml`, otherwise
 * `json.dump(…, indent=2)` with Python's float reprs and ensure_ascii escapes.
 */
import { pyJsonDumpsIndented } from '../../schema/python.js';

export async function serializeDict(dictionary: unknown, artifactFile: string): Promise<string> {
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
