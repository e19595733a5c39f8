/** The tracker worker as a Node worker thread: the same service, over worker_threads' port. */
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { installErrorTransfer } from '../comlink-errors.js';
import { TrackerService } from './service.js';

const threads = 'node:worker_threads'; // in a variable: the runtime's own, never bundled or resolved by the compiler
const { parentPort } = (await import(/* @vite-ignore */ threads)) as { parentPort: unknown };
if (parentPort === null)
  throw new Error('mlflow-edge: node-worker.js runs as a worker thread, started by openTracker()');
installErrorTransfer();
expose(new TrackerService(), nodeEndpoint(parentPort));
