// A promise that rejects with nobody awaiting it.
import { afterStart } from './after-start.mjs';
afterStart(() => { void Promise.reject(new RangeError('injected unhandled rejection')); });
