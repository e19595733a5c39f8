/** The tracker's dedicated module worker: wires the pieces and exposes them to the page. */
import { expose } from 'comlink';
import { installErrorTransfer } from '../comlink-errors.js';
import { TrackerService } from './service.js';

installErrorTransfer();
expose(new TrackerService());
