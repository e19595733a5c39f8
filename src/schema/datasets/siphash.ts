/**
 * SipHash-2-4 of a byte string with a 16-byte key, as pandas hashes each
 * string of an object column (pandas/_libs/hashing.pyx, key
 * "0123456789123456"). 64-bit words are BigInts kept in [0, 2^64).
 */
const M64 = (1n << 64n) - 1n;

const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

function le64(bytes: Uint8Array, at: number, length = 8): bigint {
  let out = 0n;
  for (let i = length - 1; i >= 0; i--) out = (out << 8n) | BigInt(bytes[at + i]!);
  return out;
}

export interface SipKey {
  k0: bigint;
  k1: bigint;
}

export function sipKey(key: Uint8Array): SipKey {
  if (key.length !== 16) throw new RangeError('A SipHash key is 16 bytes');
  return { k0: le64(key, 0), k1: le64(key, 8) };
}

export function siphash24(data: Uint8Array, { k0, k1 }: SipKey): bigint {
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const whole = data.length - (data.length % 8);
  for (let at = 0; at < whole; at += 8) {
    const m = le64(data, at);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  const last = (BigInt(data.length & 0xff) << 56n) | le64(data, whole, data.length - whole);
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}
