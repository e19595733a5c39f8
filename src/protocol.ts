/**
 * The page ↔ worker contract: plain data types only (and the JS flavor's
 * name). It imports nothing of ours but schema/, so client/ and worker/
 * both depend on it and on nothing of each other's.
 */
export * from './protocol/tracker.js';
export * from './protocol/sync.js';
export * from './protocol/models.js';
export * from './protocol/predict.js';
