// `cfgscope watch ws://host:port`: the serve endpoint's URL. A bare host:port means its /ws path
// (docs/protocol.md); anything but ws:// or wss:// is a usage mistake named at once, not retried.

import { CfgscopeError } from '../model/errors.js';

export function watchUrl(arg: string): string {
  let url: URL;
  try {
    url = new URL(arg);
  } catch {
    throw new CfgscopeError('WATCH_BAD_URL', `${JSON.stringify(arg)} is not a URL: give ws://host:port (cfgscope serve prints it)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new CfgscopeError('WATCH_BAD_URL', `${arg}: ${url.protocol} is not a websocket URL: use ws://${url.host || 'host:port'}`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  return url.href;
}
