/** The tracker worker as a Node worker thread: the same service, over worker_threads' port. */
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { installErrorTransfer } from '../comlink-errors.js';
import { TrackerService } from './service.js';

if (parentPort === null)
  throw new Error('mlflow-edge: node-worker.js runs as a worker thread, started by openTracker()');
installErrorTransfer();
expose(new TrackerService(), nodeEndpoint(parentPort));
