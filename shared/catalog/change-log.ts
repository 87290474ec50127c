// Append-only, self-describing log of every catalog write, kept in Blob Storage beside the content, so the catalog
// can be rebuilt from Blob alone if Cosmos DB is lost. Written ahead of the Cosmos writes it describes; records are
// resolved documents, so replaying them (even twice) yields the same catalog.
import { ContainerClient, RestError } from '@azure/storage-blob';
import type { VersionDoc } from './version-doc';

export type LogRecord =
  | {
      t: 'version';
      close?: VersionDoc;
      put?: VersionDoc;
      drop?: { id: string; protectedItemId: string; containerId: string };
    }
  | { t: 'doc'; container: 'inventory' | 'recoveryPoints' | 'runs'; doc: Record<string, unknown> & { id: string } }
  /** A document removed (a recovery point retention pruned), with its full partition key. */
  | { t: 'dropDoc'; container: 'recoveryPoints'; id: string; partitionKey: string[] };

/** Appends are limited to 4 MiB each; stay well below. */
const MAX_APPEND = 2 * 1024 * 1024;

export const logBlobName = (accountId: string, protectedItemId: string, seq: number): string =>
  `${accountId}/${encodeURIComponent(protectedItemId)}/${String(seq).padStart(10, '0')}.jsonl`;

export class ChangeLog {
  constructor(private readonly container: ContainerClient) {}

  async append(blobName: string, records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return;
    const blob = this.container.getAppendBlobClient(blobName);
    let chunk: string[] = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const body = Buffer.from(chunk.join(''));
      try {
        await blob.appendBlock(body, body.length);
      } catch (e) {
        if (!(e instanceof RestError && e.statusCode === 404)) throw e;
        await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
        await blob.appendBlock(body, body.length);
      }
      chunk = [];
      size = 0;
    };
    for (const r of records) {
      const line = JSON.stringify(r) + '\n';
      if (size + line.length > MAX_APPEND) await flush();
      chunk.push(line);
      size += line.length;
    }
    await flush();
  }

  /** Every log blob of an account in replay order (by protected item, then sequence). */
  async *blobs(accountId?: string): AsyncGenerator<string> {
    for await (const b of this.container.listBlobsFlat(accountId ? { prefix: `${accountId}/` } : {})) yield b.name;
  }

  async *records(blobName: string): AsyncGenerator<LogRecord> {
    const download = await this.container.getBlobClient(blobName).download();
    let rest = '';
    for await (const chunk of download.readableStreamBody as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) yield JSON.parse(line) as LogRecord;
    }
    if (rest) yield JSON.parse(rest) as LogRecord;
  }
}
