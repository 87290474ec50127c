// A scripted Microsoft Graph for the sync engine's port: each URL maps to a page or an error, each message to its
// MIME; reads are recorded so a test can tell what was downloaded.
import { Readable } from 'node:stream';
import type { DeltaPage, GraphReader } from '../../shared/backup/ports';

/** Plays scripted Graph responses for the port; each URL maps to a page or an error, each message to its MIME. */
export class ScriptedGraph implements GraphReader {
  pages = new Map<string, DeltaPage | Error>();
  mime = new Map<string, string>();
  failStreamOnce = new Set<string>();
  /** Every read of these messages' MIME fails with the error, until removed. */
  failStream = new Map<string, Error>();
  streamed: string[] = [];
  attempts: string[] = [];
  /** Every page read, in order. */
  requested: string[] = [];

  async page(url: string): Promise<DeltaPage> {
    this.requested.push(url);
    const p = this.pages.get(url);
    if (!p) throw new Error(`unscripted ${url}`);
    if (p instanceof Error) throw p;
    return p;
  }
  async stream(url: string): Promise<Readable> {
    const [, message, file] = /messages\/([^/]+)\/\$value|items\/([^/]+)\/content/.exec(url)!;
    const id = message ?? decodeURIComponent(file);
    if (this.failStreamOnce.delete(id)) throw new Error('connection reset');
    this.attempts.push(id);
    const failure = this.failStream.get(id);
    if (failure) throw failure;
    this.streamed.push(id);
    return Readable.from([Buffer.from(this.mime.get(id) ?? `MIME of ${id}`)]);
  }
}

/** A message as a delta page lists it. */
export const m = (id: string, changeKey: string, extra: Record<string, unknown> = {}) => ({
  id,
  changeKey,
  subject: `subject ${id}`,
  isRead: false,
  isDraft: false,
  ...extra,
});
