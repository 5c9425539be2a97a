// A callback that throws inside a running command (as a stream or timer callback with a bug would).
import { afterStart } from './after-start.mjs';
afterStart(() => { throw new TypeError('injected fault in a callback'); });
