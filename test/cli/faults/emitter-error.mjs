// An 'error' event nobody listens to, as a stream or a child process emits it.
import { EventEmitter } from 'node:events';
import { afterStart } from './after-start.mjs';
afterStart(() => { new EventEmitter().emit('error', new Error('injected error event')); });
