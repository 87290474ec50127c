// Restore jobs over HTTP: start (Administrator), follow (Reader), cancel (Administrator). Everything is checked before
// a job record exists, so a refused request leaves nothing behind.
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { planSelection, UnknownSelection } from '../shared/restore/restore-plan';
import { restoreRequest } from '../shared/restore/restore-request';
import { RESTORABLE, restoreFolderDocs } from '../shared/restore/restore-steps';
import { services } from '../shared/runtime/services';
import { kindOf } from '../shared/kinds';
import { usablePoint } from '../shared/catalog/usable-point';
import { operationInstanceId, orchestrationAlive } from './operation-jobs';
import { body, clientIp, errorBody, handle, HttpError, json, unknownSelection } from './http/respond';

const notFound = () =>
  json(
    404,
    errorBody(
      'notFound',
      'path.restoreId: no such restore job in this account (job records are kept 5 days after they end).',
    ),
  );

const restoreView = (op: Awaited<ReturnType<ReturnType<typeof services>['operations']['find']>>) =>
  op && {
    id: op.id,
    status: op.status,
    createdAt: op.createdAt,
    ...(op.endedAt ? { endedAt: op.endedAt } : {}),
    requestedBy: op.requestedBy.name,
    request: op.request,
    counts: op.counts,
    failures: op.failures,
    ...(op.message ? { message: op.message } : {}),
    ...(op.cancelRequested ? { cancelRequested: true } : {}),
  };

df.app.client.http('restoresStart', {
  route: 'accounts/{accountId}/restores',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Administrator', async (_r, _c, principal) => {
      const s = services();
      const accountId = req.params.accountId;
      const input = await body(req, restoreRequest);
      await s.inventory.getAccount(accountId);
      const item = await s.inventory.getProtectedItem(accountId, input.protectedItemId);
      usablePoint(await s.points.listPoints(accountId, item.id), input.seq, item.displayName);
      const { refused } = kindOf(item).restore;
      if (refused) throw new HttpError(400, 'invalidRequest', `body.protectedItemId: ${refused}`);
      const elsewhere = kindOf(item).restore.elsewhere ?? 'user';
      if (input.target.type !== 'original' && (input.target.type === 'site') !== (elsewhere === 'site'))
        throw new HttpError(
          400,
          'invalidRequest',
          elsewhere === 'site'
            ? "body.target.type: a site's files and list items restore into their own site ('original') or another site ('site')"
            : "body.target.type: 'site' is for SharePoint sites; this restores into its own place ('original') or a user's ('mailbox', 'account')",
        );
      if (input.target.type === 'account') {
        // Writing into another account is acting on it: the caller needs Administrator there too.
        await s.access.require(principal, 'Backup.Administrator', {
          accountId: input.target.accountId,
          operation: 'restoresStart',
          ...clientIp(req),
        });
        await s.inventory.getAccount(input.target.accountId);
      }
      try {
        const folders = await restoreFolderDocs(s, item.id, input.seq, item.kind);
        const selected = await s.versions.versionsAt(item.id, input.seq, input.selection.items);
        const other = selected.filter((d) => !RESTORABLE.has(d.kind) || d.props.folder === true);
        if (other.length)
          throw new HttpError(
            400,
            'invalidRequest',
            `body.selection.items: messages, events, contacts and files can be restored as items (folders go in selection.folders); ${other.length} selected item(s) are ${[...new Set(other.map((d) => d.kind))].join(', ')}`,
          );
        const items = selected;
        const found = new Set(items.map((i) => i.itemId));
        planSelection(folders, {
          folders: input.selection.folders,
          items,
          missingItems: input.selection.items.filter((i) => !found.has(i)),
        });
      } catch (e) {
        if (e instanceof UnknownSelection) throw unknownSelection(e, input.selection, 'body.selection');
        throw e;
      }
      const job = {
        accountId,
        kind: 'restore' as const,
        request: input as unknown as Record<string, unknown>,
        requestedBy: { id: principal.id, name: principal.name },
      };
      const op = await s.operations.launch(
        job,
        s.now(),
        async (started) => {
          await s.audit.record(
            {
              accountId,
              action: 'restore.start',
              principal,
              ...clientIp(req),
              subject: {
                operationId: started.id,
                protectedItemId: item.id,
                seq: input.seq,
                selection: input.selection,
                target: input.target,
              },
            },
            s.now(),
          );
          await client.startNew('restoreJob', {
            instanceId: operationInstanceId(job.kind, started.id),
            input: { accountId, operationId: started.id },
          });
        },
        orchestrationAlive(client),
      );
      return json(202, restoreView(op), { location: `/api/accounts/${accountId}/restores/${op.id}` });
    })(req, context),
});

app.http('restoresList', {
  route: 'accounts/{accountId}/restores',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getAccount(req.params.accountId);
    return json(200, { value: (await services().operations.list(req.params.accountId, 'restore')).map(restoreView) });
  }),
});

app.http('restoresGet', {
  route: 'accounts/{accountId}/restores/{restoreId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const op = await services().operations.find(req.params.accountId, req.params.restoreId);
    if (!op || op.kind !== 'restore') return notFound();
    return json(200, restoreView(op));
  }),
});

app.http('restoresCancel', {
  route: 'accounts/{accountId}/restores/{restoreId}/cancel',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, _c, principal) => {
    const s = services();
    const op = await s.operations.requestCancel(req.params.accountId, req.params.restoreId);
    if (!op || op.kind !== 'restore') return notFound();
    await s.audit.record(
      {
        accountId: op.accountId,
        action: 'restore.cancel',
        principal,
        ...clientIp(req),
        subject: { operationId: op.id },
      },
      s.now(),
    );
    return json(202, {
      ...restoreView(op),
      message:
        op.status === 'running'
          ? 'Cancellation requested. It is best-effort: the batch in progress finishes, and items restored before it took effect stay restored.'
          : `The job has already ended (${op.status}).`,
    });
  }),
});
