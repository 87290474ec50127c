// How long Graph takes to answer, per request kind: without it every request is answered at once, so Exchange's 4
// concurrent requests per mailbox almost never bite and benchmarks measure a Graph faster than the real one. A
// handled request holds its throttling slot for its kind's latency (JSON GET, delta page, write, the $batch
// envelope); content (`$value`, downloads) is served after the JSON latency at `contentMBps`. The defaults and their
// sources are in local/m365/README.md ("Service time"). Sleeping goes through an injected function, so tests of the
// model run on a virtual clock and never measure wall time.
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { z } from 'zod';

const ms = z.number().nonnegative();

export const serviceTimeSchema = z
  .object({
    /** Off by default (unit and fidelity tests); the bench profile and the benchmarks turn it on. */
    enabled: z.boolean(),
    /** A JSON GET of one resource or a collection page (also a 302 to a download URL). */
    jsonGetMs: ms,
    /** One page of a delta round. */
    deltaPageMs: ms,
    /** POST, PATCH, PUT, DELETE. */
    writeMs: ms,
    /** The $batch envelope, on top of its inner requests (each served as its own kind, up to 4 at once). */
    batchMs: ms,
    /** Rate at which `$value` MIME and file downloads stream, after jsonGetMs to the first byte. */
    contentMBps: z.number().positive(),
  })
  .strict();
export type ServiceTimeSettings = z.infer<typeof serviceTimeSchema>;

/** The defaults; README "Service time" gives their sources or says they are assumptions. */
export const SERVICE_TIME_DEFAULTS: ServiceTimeSettings = {
  enabled: false,
  jsonGetMs: 150,
  deltaPageMs: 400,
  writeMs: 250,
  batchMs: 50,
  contentMBps: 2,
};

/** Settings from the defaults and any changes, validated. */
export function serviceTimeSettings(...changes: Array<Partial<ServiceTimeSettings> | undefined>): ServiceTimeSettings {
  return serviceTimeSchema.parse(Object.assign({}, SERVICE_TIME_DEFAULTS, ...changes));
}

export type RequestKind = 'json' | 'delta' | 'content' | 'write' | 'batch';

/** The kind of a Graph request (path after /v1.0, query excluded). */
export function requestKind(method: string, path: string): RequestKind {
  const m = method.toUpperCase();
  if (/^\/?\$batch\/?$/i.test(path)) return 'batch';
  if (m !== 'GET' && m !== 'HEAD') return 'write';
  if (/\/delta(\(\))?$/i.test(path)) return 'delta';
  // `/content` of a drive item answers a 302 to the download URL: JSON-like; the download itself is paced.
  if (/\/\$value$/i.test(path)) return 'content';
  return 'json';
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ServiceTime {
  constructor(
    public settings: ServiceTimeSettings,
    private readonly sleep: Sleep = realSleep,
  ) {}

  /** Milliseconds before the answer (or its first byte) of a request of this kind. */
  latencyMs(kind: RequestKind): number {
    const s = this.settings;
    if (!s.enabled) return 0;
    switch (kind) {
      case 'delta':
        return s.deltaPageMs;
      case 'write':
        return s.writeMs;
      case 'batch':
        return s.batchMs;
      default:
        return s.jsonGetMs;
    }
  }

  /** Waits out the latency of a request of this kind (nothing when the model is off). */
  async serve(kind: RequestKind): Promise<void> {
    const ms = this.latencyMs(kind);
    if (ms > 0) await this.sleep(ms);
  }

  /**
   * A handled answer as the service would give it: after its kind's latency, with bytes (a Buffer or a stream)
   * streaming at contentMBps. The result's stream is replaced, so whoever holds a slot until it closes holds it
   * until the last paced byte.
   */
  async deliver<R extends { bytes?: Buffer; stream?: Readable }>(kind: RequestKind, result: R): Promise<R> {
    await this.serve(kind);
    if (!this.settings.enabled) return result;
    if (result.stream) return { ...result, stream: this.pace(result.stream) };
    if (result.bytes && kind === 'content') await this.sleep(this.transferMs(result.bytes.length));
    return result;
  }

  /** Milliseconds to transfer `bytes` at contentMBps. */
  transferMs(bytes: number): number {
    return (bytes / (this.settings.contentMBps * 1024 * 1024)) * 1000;
  }

  /** The stream's bytes at contentMBps (each chunk after the time its size takes); errors and destroys propagate. */
  pace(source: Readable): Readable {
    const transferMs = this.transferMs.bind(this);
    const sleep = this.sleep;
    const paced = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sleep(transferMs(chunk.length)).then(
          () => done(null, chunk),
          (e: Error) => done(e),
        );
      },
    });
    pipeline(source, paced, () => undefined);
    return paced;
  }
}
