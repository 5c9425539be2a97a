// A module the server makes for the page (src/server/page-modules.ts), fetched from a real server
// and imported alone, from a data: URL, as the browser imports it: with nothing else of the
// program around it, so a served function that used anything outside itself fails here.

export async function importServed(http: string, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${http}${path}`);
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  const text = await res.text();
  return await import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`) as Record<string, unknown>;
}
