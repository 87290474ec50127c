// Backpressure for streamed response bodies. @azure/functions' HTTP stream proxy writes a body to the host as fast as
// the body yields, without waiting for the socket to drain (azure-functions-nodejs-library#294, open in 4.16): with a
// client slower than the source (a download over the internet of bytes read from Blob Storage at datacentre speed)
// the body piles up in worker memory, and a client that went away is still fed to the end. Node's diagnostics channel
// reports every request the proxy's server receives, with the response it writes to, keyed by the invocation id the
// host sends; a body paced on that response's 'drain' keeps worker memory bounded and stops when the client is gone.
// Without streaming (no proxy) there is nothing to pace against, and bodies pass unchanged.
import dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

const INVOCATION_HEADER = 'x-ms-invocation-id';
const proxied = new Map<string, ServerResponse>();

dc.subscribe('http.server.request.start', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  const id = request.headers[INVOCATION_HEADER];
  if (typeof id !== 'string') return;
  proxied.set(id, response);
  response.once('close', () => proxied.delete(id));
});

const drainedOrClosed = (res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

/**
 * Yields `source` no faster than the host takes it from the proxy; ends early (releasing the source) when the
 * response is closed before its end: the client went away. A source that fails cuts the response.
 */
export async function* paced(invocationId: string, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const res = proxied.get(invocationId);
  try {
    for await (const chunk of source) {
      if (res?.destroyed) return;
      yield chunk;
      if (res?.writableNeedDrain && !res.destroyed) await drainedOrClosed(res);
    }
  } catch (e) {
    // The library neither ends nor closes its proxy response when a body fails: without this the host, and the
    // client, would wait for the rest for ever instead of seeing the transfer cut.
    res?.destroy(e as Error);
    throw e;
  }
}
