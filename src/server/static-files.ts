// GET / and GET /<file> from the package's web/ folder: no listing, no way out of the folder.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The file a URL path names under `root`, or null when it names none (or tries to leave it). */
export function resolveWebPath(root: string, pathname: string): string | null {
  let decoded: string;
  try { decoded = decodeURIComponent(pathname); } catch { return null; }
  if (decoded.includes('\0') || decoded.split('/').some((s) => s === '..' || s.includes('\\'))) return null;
  const rel = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = resolve(root, rel);
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

/** A page module made by the server (page-modules.ts), with the headers a file of web/ gets. */
export function sendModule(text: string, head: boolean, res: ServerResponse, extraHeaders: Record<string, string>): void {
  res.writeHead(200, {
    'Content-Type': TYPES['.js']!,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...extraHeaders,
  });
  res.end(head ? undefined : text);
}

export async function sendStatic(root: string, pathname: string, head: boolean, res: ServerResponse, extraHeaders: Record<string, string>): Promise<void> {
  const file = resolveWebPath(root, pathname);
  const st = file ? await stat(file).catch(() => null) : null;
  if (!file || !st?.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...extraHeaders }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    ...extraHeaders,
  });
  if (head) { res.end(); return; }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}
