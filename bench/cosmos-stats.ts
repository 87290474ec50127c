// The Cosmos DB stand-in's request counts (local/stack/cosmos-request-stats.ts), read or reset over HTTPS, and the
// request units they would cost in Azure, estimated: the stand-in charges none.
import fs from 'node:fs';
import https from 'node:https';
import type { LocalApp } from '../local/cli/local-app';
import type { CosmosStats } from '../local/stack/cosmos-request-stats';
import { STATS_PATH } from '../local/stack/cosmos-request-stats';

/** GET reads the counts since the last reset; DELETE resets them. */
export function cosmosStats(app: LocalApp, method: 'GET' | 'DELETE'): Promise<CosmosStats> {
  const env = app.stack.env;
  const ca = fs.readFileSync(env.M365V_COSMOS_CA_CERT_FILE);
  return new Promise((resolve, reject) => {
    https
      .request(`${env.M365V_COSMOS_ENDPOINT.replace(/\/$/, '')}${STATS_PATH}`, { method, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CosmosStats));
      })
      .on('error', reject)
      .end();
  });
}

export const RU_ASSUMPTIONS =
  'RU estimate (assumptions, not a measurement): query plans free; point read 1 RU per KB; query page 2.5 RU + 1 RU per KB returned; write or delete 6 RU + 2 RU per KB beyond the first.';

export function estimateRu(stats: CosmosStats): number {
  let ru = 0;
  for (const ops of Object.values(stats))
    for (const [op, s] of Object.entries(ops)) {
      const kb = s.bytes / 1024;
      if (op === 'queryPlan') continue;
      if (op === 'read') ru += Math.max(s.requests, kb);
      else if (op === 'query' || op === 'readFeed') ru += 2.5 * s.requests + Math.max(0, kb);
      else ru += 6 * s.requests + Math.max(0, kb - s.requests) * 2;
    }
  return ru;
}

export const requestCount = (stats: CosmosStats): number =>
  Object.values(stats).reduce((n, ops) => n + Object.values(ops).reduce((m, s) => m + s.requests, 0), 0);
