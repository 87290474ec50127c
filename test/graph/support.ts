// Shared setup of the Graph client tests: an emulator (with its control API) and product Graph clients built exactly
// as the product builds them, over a transport that also records what went on the wire (URL and header names) so
// tests can assert what was — and was not — sent.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { startTestEmulator, TestEmulator } from '../m365/support';
import type { EmulatorOptions } from '../../local/m365/server';
import { GraphClient, GraphClientOptions, userAgent } from '../../shared/graph/graph-client';
import type { GraphLogEntry } from '../../shared/graph/http-pipeline';
import { createAgent, HttpRequest, httpsTransport, Transport } from '../../shared/graph/https-transport';
import { Credential, TokenProvider } from '../../shared/graph/token-provider';

export interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface GraphTestBed {
  t: TestEmulator;
  transport: Transport;
  /** Every request sent through `transport`, in order. */
  sent: Sent[];
  logs: GraphLogEntry[];
  app(name?: string): { clientId: string; clientSecret: string };
  /** A fresh token provider (its own msal application and cache) for the first tenant. */
  tokens(credential?: Credential, o?: { clientId?: string; tenantId?: string; scope?: string }): TokenProvider;
  client(o?: Partial<GraphClientOptions> & { credential?: Credential }): GraphClient;
  users(): Promise<
    Array<{
      id: string;
      userPrincipalName: string;
      licensed: boolean;
      mailEnabled: boolean;
      oneDriveProvisioned: boolean;
    }>
  >;
  stop(): Promise<void>;
}

export async function startGraphTestBed(opts: Partial<EmulatorOptions> = {}): Promise<GraphTestBed> {
  const t = await startTestEmulator(opts);
  const agent = createAgent(t.em.caCertFile);
  const inner = httpsTransport(agent);
  const sent: Sent[] = [];
  const logs: GraphLogEntry[] = [];
  const transport: Transport = (r: HttpRequest): Promise<IncomingMessage> => {
    sent.push({
      method: r.method,
      url: r.url,
      headers: { ...r.headers },
      ...(r.body !== undefined ? { body: r.body.toString() } : {}),
    });
    return inner(r);
  };
  const app: GraphTestBed['app'] = (name = 'm365-vault backup') => {
    const a = t.em.tenants[0].apps.find((x) => x.displayName === name)!;
    return { clientId: a.clientId, clientSecret: a.clientSecret! };
  };
  const tokens: GraphTestBed['tokens'] = (credential, o = {}) =>
    new TokenProvider({
      authorityHost: t.em.authorityHost,
      tenantId: o.tenantId ?? t.em.tenantId,
      clientId: o.clientId ?? app().clientId,
      credential: credential ?? { clientSecret: app().clientSecret },
      transport,
      ...(o.scope ? { scope: o.scope } : {}),
    });
  return {
    t,
    transport,
    sent,
    logs,
    app,
    tokens,
    client: (o = {}) =>
      new GraphClient({
        baseUrl: t.em.graphBaseUrl,
        transport,
        userAgent: userAgent('0.0.0-test'),
        log: (e) => logs.push(e),
        ...o,
        tokens: o.tokens ?? tokens(o.credential),
      }),
    users: async () =>
      (
        await t.control<{
          users: Array<{
            id: string;
            userPrincipalName: string;
            licensed: boolean;
            mailEnabled: boolean;
            oneDriveProvisioned: boolean;
          }>;
        }>('GET', 'tenant')
      ).body.users,
    stop: async () => {
      agent.destroy();
      await t.stop();
    },
  };
}

/** A deadline far enough away that only a test's own waits matter. */
export const later = (seconds = 120): number => Date.now() + seconds * 1000;

export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
