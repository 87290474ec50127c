// Retention over HTTP: start a run now (Administrator, audited), follow runs and their per-item reports (Reader),
// and put an account or a protected item on litigation hold or release it (Administrator, audited).
import { randomUUID } from 'node:crypto';
import type { HttpRequest } from '@azure/functions';
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { runIdOf } from '../shared/backup/run-steps';
import {
  beginRetention,
  listRetentionRuns,
  retentionItemReports,
  settleRetention,
} from '../shared/retention/retention-steps';
import { services } from '../shared/runtime/services';
import { body, clientIp, errorBody, handle, HttpError, json } from './http/respond';
import {
  retentionInstance,
  retentionInstanceId,
  runningRetention,
  type RetentionInput,
} from './retention-orchestration';

df.app.client.http('retentionStart', {
  route: 'accounts/{accountId}/retention-runs',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Administrator', async (_r, _c, principal) => {
      const s = services();
      const accountId = req.params.accountId;
      await s.inventory.getAccount(accountId);
      // One run of an account at a time: a second would only skip every item the first holds.
      const running = await runningRetention(client, accountId);
      if (running) {
        const route = `/api/accounts/${accountId}/retention-runs/${running.id}`;
        const state =
          running.state === 'Suspended'
            ? 'is suspended: resume or terminate its orchestration (Durable API) to let retention go on'
            : `is running; follow it at ${route}, and start another once it has ended`;
        return json(409, errorBody('retentionRunning', `Retention run '${running.id}' of this account ${state}.`), {
          location: route,
        });
      }
      const now = s.now();
      // Unique per start: a run id names its record and its marking, which a later run must never take for its own.
      const runId = `${runIdOf(now, randomUUID())}-manual`;
      await s.audit.record(
        { accountId, action: 'retention.start', principal, ...clientIp(req), subject: { runId } },
        now,
      );
      const input: RetentionInput = {
        accountId,
        runId,
        trigger: 'manual',
        requestedBy: { id: principal.id, name: principal.name },
      };
      // The run's record exists before its orchestration starts, so the Location answers from the first poll.
      await beginRetention(s, input);
      await client.startNew('retentionJob', { instanceId: retentionInstanceId(accountId, runId), input });
      return json(
        202,
        { id: runId, status: 'running' },
        { location: `/api/accounts/${accountId}/retention-runs/${runId}` },
      );
    })(req, context),
});

// Reading a run settles it first: one whose orchestration ended without finishing it shows as failed, not running.
df.app.client.http('retentionRunsList', {
  route: 'accounts/{accountId}/retention-runs',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Reader', async () => {
      const s = services();
      const accountId = req.params.accountId;
      await s.inventory.getAccount(accountId);
      const runs = await listRetentionRuns(s, accountId);
      const settled = await Promise.all(
        runs.map(async (run) =>
          run.status === 'running'
            ? ((await settleRetention(s, { accountId, runId: run.id }, () =>
                retentionInstance(client, accountId, run.id),
              )) ?? run)
            : run,
        ),
      );
      return json(200, { value: settled });
    })(req, context),
});

df.app.client.http('retentionRunsGet', {
  route: 'accounts/{accountId}/retention-runs/{runId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Reader', async () => {
      const s = services();
      const ref = { accountId: req.params.accountId, runId: req.params.runId };
      const run = await settleRetention(s, ref, () => retentionInstance(client, ref.accountId, ref.runId));
      if (!run) throw new HttpError(404, 'notFound', `No retention run '${ref.runId}' in this account.`);
      const items = [];
      for await (const r of retentionItemReports(s, ref)) items.push(r);
      return json(200, { ...run, items });
    })(req, context),
});

const holdInput = z.object({ reason: z.string().trim().min(1).max(500) });

/** PUT sets the hold (the reason is required), DELETE releases it; both audited. */
async function changeHold(
  req: HttpRequest,
  principal: { id: string; name: string; tenantId: string },
  target: 'account' | 'item',
): Promise<ReturnType<typeof json>> {
  const s = services();
  const accountId = req.params.accountId;
  const now = s.now();
  const hold =
    req.method === 'PUT'
      ? { reason: (await body(req, holdInput)).reason, by: principal.name, at: now.toISOString() }
      : undefined;
  const subject = target === 'account' ? { scope: 'account' } : { protectedItemId: req.params.itemId };
  await s.audit.record(
    {
      accountId,
      action: hold ? 'hold.set' : 'hold.release',
      principal,
      ...clientIp(req),
      subject: { ...subject, ...(hold ? { reason: hold.reason } : {}) },
    },
    now,
  );
  if (target === 'account')
    return json(200, { hold: (await s.inventory.setAccountHold(accountId, hold, now)).hold ?? null });
  const item = await s.inventory.updateProtectedItem(accountId, req.params.itemId, ({ hold: _old, ...cur }) => ({
    ...cur,
    ...(hold ? { hold } : {}),
  }));
  return json(200, { hold: item.hold ?? null });
}

app.http('accountHold', {
  route: 'accounts/{accountId}/hold',
  methods: ['PUT', 'DELETE'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, _c, principal) => changeHold(req, principal, 'account')),
});

app.http('protectedItemHold', {
  route: 'accounts/{accountId}/protected-items/{itemId}/hold',
  methods: ['PUT', 'DELETE'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, _c, principal) => changeHold(req, principal, 'item')),
});
