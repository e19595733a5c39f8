/**
 * Every Python-ism in one place: how Python prints values (repr, str,
 * json.dumps), how it orders strings, and the side table that remembers
 * which numbers were floats.
 */
export * from './python/repr.js';
export * from './python/order.js';
export * from './python/json.js';
export * from './python/number-kinds.js';
