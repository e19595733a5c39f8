/** Content hashes as MLflow-style lowercase hex: what model code, model files and artifacts are checked against. */
import { sha256 } from '@noble/hashes/sha2.js';

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}
