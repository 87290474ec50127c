// The Durable HTTP API, served under /runtime/webhooks/durabletask/ (public, behind the extension's system key) and
// /durabletask/ (rpcBaseUrl, on a loopback listener of its own), with the status codes and body shapes the real
// DurableClient expects.
import { timingSafeEqual } from 'node:crypto';
import type { HistoryEvent } from './history';
import { TERMINAL } from './history';
import { ConflictError, DurableEngine } from './engine';
import type { InstanceRow } from './instance-store';

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The setting that fixes the system key (the host makes a random one when it is unset). */
export const SYSTEM_KEY_SETTING = 'M365V_HOST_DURABLE_SYSTEM_KEY';
export const WEBHOOKS_PATH = '/runtime/webhooks/durabletask/';

/** A webhook URL with the system key, as an operator who holds it calls the API (`path` below the webhooks root). */
export const webhookUrl = (hostUrl: string, path: string, systemKey: string): string =>
  `${hostUrl}${WEBHOOKS_PATH}${path.replace(/^\//, '')}${path.includes('?') ? '&' : '?'}code=${encodeURIComponent(systemKey)}`;

/** Where the API is reached and with which key: the public base URL, the system key, the worker-only rpc base URL. */
export interface DurableEndpoints {
  baseUrl: string;
  systemKey: string;
  rpcBaseUrl: string;
}

/**
 * Like the Functions host, the webhooks accept the extension's system key (`durabletask_extension`) as `code` in the
 * query or as the `x-functions-key` header; anything else is a 401.
 */
export function hasSystemKey(
  query: URLSearchParams,
  headerKey: string | string[] | undefined,
  systemKey: string,
): boolean {
  const given = query.get('code') ?? (typeof headerKey === 'string' ? headerKey : undefined);
  if (given === undefined) return false;
  const [a, b] = [Buffer.from(given), Buffer.from(systemKey)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The durableClient binding data, as the extension's BindingHelper builds it. */
export function clientBindingData(
  { baseUrl, systemKey, rpcBaseUrl }: DurableEndpoints,
  hub: string,
): Record<string, unknown> {
  const q = `taskHub=${encodeURIComponent(hub)}&connection=Storage&code=${encodeURIComponent(systemKey)}`;
  const webhooks = `${baseUrl}/runtime/webhooks/durabletask`;
  const instance = `${webhooks}/instances/INSTANCEID`;
  return {
    taskHubName: hub,
    creationUrls: {
      createNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${q}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${q}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${instance}?${q}`,
      restartPostUri: `${instance}/restart?${q}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${q}`,
      resumePostUri: `${instance}/resume?reason={text}&${q}`,
    },
    baseUrl: webhooks,
    requiredQueryStringParameters: q,
    rpcBaseUrl,
  };
}

const toSeconds = (iso: string): string => `${iso.slice(0, 19)}Z`;
const parse = (text: string): unknown => (text ? JSON.parse(text) : null);

function managementPayload(endpoints: DurableEndpoints, hub: string, id: string): Record<string, string> {
  const urls = clientBindingData(endpoints, hub).managementUrls as Record<string, string>;
  const out: Record<string, string> = { id };
  for (const k of [
    'statusQueryGetUri',
    'sendEventPostUri',
    'terminatePostUri',
    'purgeHistoryDeleteUri',
    'restartPostUri',
    'suspendPostUri',
    'resumePostUri',
  ]) {
    out[k] = urls[k].replace('INSTANCEID', encodeURIComponent(id));
  }
  return out;
}

function statusBody(
  row: InstanceRow & { history?: HistoryEvent[] },
  showInput: boolean,
  showHistory: boolean,
): Record<string, unknown> {
  return {
    name: row.name,
    instanceId: row.instanceId,
    runtimeStatus: row.runtimeStatus,
    input: showInput ? parse(row.input) : null,
    customStatus: parse(row.customStatus),
    output: parse(row.output),
    createdTime: toSeconds(row.createdTime),
    lastUpdatedTime: toSeconds(row.lastUpdatedTime),
    ...(showHistory && row.history ? { historyEvents: row.history } : {}),
  };
}

export class DurableHttpApi {
  constructor(
    private readonly engine: DurableEngine,
    private readonly hub: string,
    private readonly hasOrchestrator: (name: string) => boolean,
    private readonly endpoints: () => DurableEndpoints,
  ) {}

  /** `path` is what follows the durabletask prefix, e.g. `instances/abc/raiseEvent/approve`. */
  async handle(method: string, path: string, query: URLSearchParams, body: Buffer): Promise<ApiResponse> {
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    const input = (): unknown => (body.length ? JSON.parse(body.toString('utf8')) : undefined);

    if (seg[0] === 'orchestrators' && method === 'POST' && seg[1]) {
      if (!this.hasOrchestrator(seg[1]))
        return {
          status: 400,
          body: { message: `The function '${seg[1]}' doesn't exist, is disabled, or is not an orchestrator function.` },
        };
      try {
        const id = await this.engine.start(seg[1], seg[2], input());
        const payload = managementPayload(this.endpoints(), this.hub, id);
        return { status: 202, headers: { Location: payload.statusQueryGetUri, 'Retry-After': '10' }, body: payload };
      } catch (e) {
        if (e instanceof ConflictError) return { status: 409, body: { message: e.message } };
        throw e;
      }
    }

    if (seg[0] !== 'instances')
      return seg[0] === 'entities'
        ? { status: 501, body: { message: 'Durable entities are not emulated by the local host.' } }
        : { status: 404 };
    const id = seg[1];

    if (!id) {
      if (method === 'GET') return this.list(query);
      if (method === 'DELETE') return this.purgeMany(query);
      return { status: 405 };
    }
    const op = seg[2];
    if (!op && method === 'GET') {
      const row = await this.engine.status(id, query.get('showHistory') === 'true');
      if (!row) return { status: 404, body: { message: `No instance with ID '${id}' found.` } };
      const running = !TERMINAL.has(row.runtimeStatus);
      const failedAs500 = row.runtimeStatus === 'Failed' && query.get('returnInternalServerErrorOnFailure') === 'true';
      return {
        status: running ? 202 : failedAs500 ? 500 : 200,
        headers: running
          ? { Location: managementPayload(this.endpoints(), this.hub, id).statusQueryGetUri, 'Retry-After': '5' }
          : {},
        body: statusBody(row, query.get('showInput') !== 'false', query.get('showHistory') === 'true'),
      };
    }
    if (!op && method === 'DELETE')
      return (await this.engine.purge(id))
        ? { status: 200, body: { instancesDeleted: 1 } }
        : { status: 404, body: { instancesDeleted: 0 } };
    if (method !== 'POST') return { status: 405 };
    const reason = query.get('reason') ?? '';
    const outcome =
      op === 'raiseEvent' && seg[3]
        ? await this.engine.raiseEvent(id, seg[3], input())
        : op === 'terminate'
          ? await this.engine.terminate(id, reason)
          : op === 'suspend'
            ? await this.engine.suspend(id, reason)
            : op === 'resume'
              ? await this.engine.resume(id, reason)
              : op === 'rewind' || op === 'restart'
                ? 'unsupported'
                : 'unknown';
    if (outcome === 'unsupported')
      return { status: 501, body: { message: `${op} is not emulated by the local host.` } };
    if (outcome === 'unknown') return { status: 404 };
    return { status: outcome === 'ok' ? 202 : outcome === 'gone' ? 410 : 404 };
  }

  private async matching(query: URLSearchParams): Promise<InstanceRow[]> {
    const statuses = query.get('runtimeStatus')?.split(',').filter(Boolean);
    const from = query.get('createdTimeFrom');
    const to = query.get('createdTimeTo');
    const prefix = query.get('instanceIdPrefix');
    const rows: InstanceRow[] = [];
    for await (const row of this.engine.rows()) {
      if (statuses && !statuses.includes(row.runtimeStatus)) continue;
      if (from && row.createdTime < new Date(from).toISOString()) continue;
      if (to && row.createdTime > new Date(to).toISOString()) continue;
      if (prefix && !row.instanceId.startsWith(prefix)) continue;
      rows.push(row);
    }
    return rows.sort((a, b) => a.createdTime.localeCompare(b.createdTime));
  }

  private async list(query: URLSearchParams): Promise<ApiResponse> {
    const rows = await this.matching(query);
    const top = Number(query.get('top') ?? 100);
    const offset = Number(Buffer.from(query.get('continuationToken') ?? '', 'base64').toString() || 0);
    const page = rows.slice(offset, offset + top);
    const next = offset + top < rows.length ? Buffer.from(String(offset + top)).toString('base64') : undefined;
    return {
      status: 200,
      headers: next ? { 'x-ms-continuation-token': next } : {},
      body: page.map((r) => statusBody(r, query.get('showInput') !== 'false', false)),
    };
  }

  private async purgeMany(query: URLSearchParams): Promise<ApiResponse> {
    let deleted = 0;
    for (const row of await this.matching(query)) if (await this.engine.purge(row.instanceId)) deleted++;
    return deleted
      ? { status: 200, body: { instancesDeleted: deleted } }
      : { status: 404, body: { instancesDeleted: 0 } };
  }
}
