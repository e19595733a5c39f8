/** MLflow's reprs of types, for messages that read like MLflow's. */
import { compareCodePoints } from '../python.js';
import type { PropertySpec, ValueType } from './types.js';

export function typeRepr(t: ValueType): string {
  if (t === 'any') return 'Any';
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'array':
      return `Array(${typeRepr(t.items)})`;
    case 'map':
      return `Map(str -> ${typeRepr(t.values)})`;
    case 'sparkml_vector':
      return 'SparkML vector';
    case 'object':
      return `{${Object.keys(t.properties)
        .sort(compareCodePoints)
        .map((k) => {
          const p = t.properties[k] as PropertySpec;
          return `${k}: ${typeRepr(p.type)} (${p.required ? 'required' : 'optional'})`;
        })
        .join(', ')}}`;
  }
}

/** Short type name as MLflow prints it in `Expected type {x}` (`to_dict()['type']`). */
export function typeName(t: ValueType): string {
  return typeof t === 'string' ? t : t.type;
}
