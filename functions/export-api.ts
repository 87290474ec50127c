// Exports delivered as a blob (Administrator, audited): a job writes the zip into Blob Storage in steps, and reading
// the finished job gives a read link valid one hour, minted anew (and audited) at each read. For selections too large
// for one streamed response (POST …/export), which must start within the front end's 230 s and lasts as long as one
// connection does.
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  endExport,
  exportBlobName,
  ExportCursor,
  exportStep,
  firstExportCursor,
  StoredExportRequest,
} from '../shared/export/blob-export';
import { readLink } from '../shared/export/download-link';
import { blobExportRequest } from '../shared/export/export-request';
import type { OperationDoc } from '../shared/operations/operation-store';
import { services } from '../shared/runtime/services';
import { activityRetry } from './activity-retry';
import { body, clientIp, errorBody, handle, json } from './http/respond';
import { pointScope, selectedEntries } from './http/point-scope';
import { operationInstanceId } from './operation-jobs';

/** Steps per orchestration generation: continuing as new keeps the history, and so each replay, short. */
const STEPS_PER_GENERATION = 50;

const exportJob: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const r = activityRetry(3);
  let cursor = ctx.df.getInput() as ExportCursor;
  let failed: string | undefined;
  try {
    for (let step = 0; !cursor.done; step++) {
      if (step === STEPS_PER_GENERATION) return ctx.df.continueAsNew(cursor);
      cursor = (yield ctx.df.callActivityWithRetry('exportStep', r, cursor)) as ExportCursor;
    }
  } catch (e) {
    failed = `The export failed: ${(e as Error).message.split('\n')[0]}`;
  }
  yield ctx.df.callActivityWithRetry('exportEnd', r, { ...cursor, ...(failed ? { failed } : {}) });
};
df.app.orchestration('exportJob', exportJob);
df.app.activity('exportStep', {
  handler: (input: unknown) => {
    const deadline = Date.now() + services().settings.M365V_SYNC_TIME_BOX_SECONDS * 1000;
    return exportStep(services(), input as ExportCursor, () => Date.now() < deadline);
  },
});
df.app.activity('exportEnd', {
  handler: (input: unknown) => endExport(services(), input as ExportCursor & { failed?: string }),
});

const exportView = (op: OperationDoc) => ({
  id: op.id,
  status: op.status,
  createdAt: op.createdAt,
  ...(op.endedAt ? { endedAt: op.endedAt } : {}),
  requestedBy: op.requestedBy.name,
  request: op.request,
  ...(op.summary ? { summary: op.summary } : {}),
  ...(op.message ? { message: op.message } : {}),
});

df.app.client.http('exportsStart', {
  route: 'accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/exports',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Administrator', async (_r, _c, principal) => {
      const input = await body(req, blobExportRequest);
      const { s, item, seq } = await pointScope(req, true);
      await selectedEntries(item, seq, input);
      const request: StoredExportRequest = { ...input, protectedItemId: item.id, seq };
      const job = {
        accountId: item.accountId,
        kind: 'export' as const,
        request: request as unknown as Record<string, unknown>,
        requestedBy: { id: principal.id, name: principal.name },
      };
      const op = await s.operations.create(job, s.now(), async (started) => {
        await s.audit.record(
          {
            accountId: item.accountId,
            action: 'export',
            principal,
            ...clientIp(req),
            subject: {
              operationId: started.id,
              protectedItemId: item.id,
              seq,
              selection: { folders: input.folders, items: input.items },
              delivery: input.delivery,
            },
          },
          s.now(),
        );
        await client.startNew('exportJob', {
          instanceId: operationInstanceId('export', started.id),
          input: firstExportCursor({ accountId: item.accountId, operationId: started.id }),
        });
      });
      return json(202, exportView(op), { location: `/api/accounts/${item.accountId}/exports/${op.id}` });
    })(req, context),
});

app.http('exportsGet', {
  route: 'accounts/{accountId}/exports/{exportId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, _c, principal) => {
    const s = services();
    const op = await s.operations.find(req.params.accountId, req.params.exportId);
    if (!op || op.kind !== 'export')
      return json(
        404,
        errorBody(
          'notFound',
          `Export '${req.params.exportId}' does not exist (export jobs are kept 5 days after they end).`,
        ),
      );
    if (op.status !== 'completed') return json(200, exportView(op));
    const link = await readLink(s.artifacts, exportBlobName({ accountId: op.accountId, operationId: op.id }), s.now());
    await s.audit.record(
      {
        accountId: op.accountId,
        action: 'export.link',
        principal,
        ...clientIp(req),
        subject: { operationId: op.id, expiresAt: link.expiresAt },
      },
      s.now(),
    );
    return json(200, { ...exportView(op), download: { url: link.url, expiresAt: link.expiresAt } });
  }),
});
