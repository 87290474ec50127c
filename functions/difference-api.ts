// Difference reports over HTTP (Backup.Reader): what changed in a mailbox or drive between two recovery points.
// They are jobs like restores: one restore or difference job at a time per account, kept 5 days after they end.
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { differencePageQuery, differenceRequest } from '../shared/difference/difference-request';
import {
  DifferenceCursor,
  differenceStep,
  DifferenceRef,
  endDifferences,
  firstCursor,
  reportPage,
} from '../shared/difference/difference-steps';
import { usablePoint } from '../shared/catalog/usable-point';
import { services } from '../shared/runtime/services';
import { activityRetry } from './activity-retry';
import { body, errorBody, handle, HttpError, json, parse } from './http/respond';
import { claimed, operationInstanceId, orchestrationAlive } from './operation-jobs';

/** Steps per orchestration generation: continuing as new keeps the history, and so each replay, short. */
const STEPS_PER_GENERATION = 50;

const differenceJob: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const r = activityRetry(3);
  const input = ctx.df.getInput() as DifferenceRef | DifferenceCursor;
  if (!('done' in input) && !(yield* claimed(ctx, input, r))) return;
  let cursor = 'done' in input ? input : firstCursor(input);
  let failed: string | undefined;
  try {
    for (let step = 0; !cursor.done; step++) {
      if (step === STEPS_PER_GENERATION) return ctx.df.continueAsNew(cursor);
      cursor = (yield ctx.df.callActivityWithRetry('differenceStep', r, cursor)) as DifferenceCursor;
    }
  } catch (e) {
    failed = (e as Error).message.split('\n')[0];
  }
  yield ctx.df.callActivityWithRetry('differenceEnd', r, { ...cursor, ...(failed ? { failed } : {}) });
};
df.app.orchestration('differenceJob', differenceJob);
df.app.activity('differenceStep', {
  handler: (input: unknown) => differenceStep(services(), input as DifferenceCursor),
});
df.app.activity('differenceEnd', {
  handler: (input: unknown) => endDifferences(services(), input as DifferenceCursor & { failed?: string }),
});

const notFound = () =>
  json(
    404,
    errorBody(
      'notFound',
      'path.reportId: no such difference report in this account (reports are kept 5 days after they end).',
    ),
  );

df.app.client.http('differencesStart', {
  route: 'accounts/{accountId}/difference-reports',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Reader', async (_r, _c, principal) => {
      const s = services();
      const accountId = req.params.accountId;
      const input = await body(req, differenceRequest);
      const item = await s.inventory.getProtectedItem(accountId, input.protectedItemId);
      const points = await s.points.listPoints(accountId, item.id);
      for (const seq of [input.fromSeq, input.toSeq]) usablePoint(points, seq, item.displayName);
      const job = {
        accountId,
        kind: 'differenceReport' as const,
        request: input,
        requestedBy: { id: principal.id, name: principal.name },
      };
      const op = await s.operations.launch(
        job,
        s.now(),
        async (started) => {
          const instanceId = operationInstanceId(job.kind, started.id);
          await client.startNew('differenceJob', { instanceId, input: { accountId, operationId: started.id } });
        },
        orchestrationAlive(client),
      );
      return json(
        202,
        { id: op.id, status: op.status, request: input },
        { location: `/api/accounts/${accountId}/difference-reports/${op.id}` },
      );
    })(req, context),
});

app.http('differencesList', {
  route: 'accounts/{accountId}/difference-reports',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getAccount(req.params.accountId);
    const ops = await services().operations.list(req.params.accountId, 'differenceReport');
    return json(200, {
      value: ops.map((o) => ({
        id: o.id,
        status: o.status,
        createdAt: o.createdAt,
        endedAt: o.endedAt,
        request: o.request,
        summary: o.summary,
        message: o.message,
      })),
    });
  }),
});

app.http('differencesGet', {
  route: 'accounts/{accountId}/difference-reports/{reportId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const s = services();
    const q = parse(differencePageQuery, Object.fromEntries(req.query.entries()), 'query');
    const op = await s.operations.find(req.params.accountId, req.params.reportId);
    if (!op || op.kind !== 'differenceReport') return notFound();
    const head = {
      id: op.id,
      status: op.status,
      createdAt: op.createdAt,
      ...(op.endedAt ? { endedAt: op.endedAt } : {}),
      request: op.request,
      ...(op.summary ? { summary: op.summary } : {}),
      ...(op.message ? { message: op.message } : {}),
    };
    if (op.status !== 'completed') return json(200, head);
    const total = op.counts.total;
    if (q.offset > total) throw new HttpError(400, 'invalidRequest', `query.offset: the report has ${total} entries`);
    const entries = await reportPage(s, { accountId: op.accountId, operationId: op.id }, total, q.offset, q.pageSize);
    return json(200, { ...head, total, offset: q.offset, entries });
  }),
});
