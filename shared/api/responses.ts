// Response bodies of the API as its OpenAPI document describes them. Open objects (more properties may come): a
// client reads the fields named here and keeps working when a release adds one.
import { z } from 'zod';
import { grantInput } from '../access/grants';
import { accountInput, itemKind, jobFields, repositoryInput } from '../inventory/schemas';

const at = z.iso.datetime({ offset: true });
const who = z.looseObject({ id: z.string(), name: z.string().optional() });

export const alarmSchema = z.looseObject({
  code: z.string(),
  severity: z.enum(['info', 'warning', 'error']),
  transient: z.boolean(),
  message: z.string(),
  fix: z.string(),
  subject: z.looseObject({ kind: z.string(), name: z.string() }).optional(),
});

const hold = z.looseObject({ reason: z.string(), by: z.string(), at });
const stamps = { createdAt: at, updatedAt: at };

export const accountSchema = accountInput
  .extend({
    id: z.string(),
    accountId: z.string(),
    ...stamps,
    hold: hold.optional(),
    preflight: z.looseObject({}).optional().describe("the account's latest preflight report"),
  })
  .loose();

export const jobSchema = jobFields
  .extend({
    id: z.string(),
    accountId: z.string(),
    ...stamps,
    lastScheduledFor: at.optional().describe('the schedule occurrence last started'),
  })
  .loose();

export const repositorySchema = repositoryInput
  .extend({ id: z.string(), accountId: z.string(), createdAt: at })
  .loose();

export const protectedItemSchema = z.looseObject({
  id: z.string(),
  accountId: z.string(),
  kind: itemKind,
  userId: z.string(),
  displayName: z.string(),
  address: z.string(),
  lastSeq: z.number().int(),
  repository: z.string().optional(),
  hold: hold.optional(),
});

const containerReport = z.looseObject({
  status: z.enum(['done', 'failed', 'stopped']),
  written: z.number(),
  deleted: z.number(),
  bytes: z.number(),
  storedBytes: z.number(),
});

export const recoveryPointSchema = z.looseObject({
  id: z.string(),
  protectedItemId: z.string(),
  jobId: z.string(),
  runId: z.string(),
  seq: z.number().int(),
  status: z.enum(['running', 'success', 'warning', 'partial', 'failed', 'stopped', 'pruning']),
  startedAt: at,
  completedAt: at.optional(),
  containers: z.record(z.string(), containerReport),
  alarms: z.array(alarmSchema),
  skipped: z.array(z.looseObject({ itemId: z.string(), name: z.string(), reason: z.string() })).optional(),
});

export const runSchema = z.looseObject({
  id: z.string(),
  accountId: z.string(),
  jobId: z.string(),
  trigger: z.enum(['schedule', 'manual', 'chained']).optional(),
  status: z.enum(['running', 'success', 'warning', 'failed', 'stopped']),
  startedAt: at.optional(),
  endedAt: at.optional(),
  items: z.number().int(),
  summary: z.record(z.string(), z.number()).optional().describe('items, bytes, Graph requests, … once ended'),
  alarms: z.array(alarmSchema),
  reason: z.string().optional(),
  stopRequested: z.looseObject({ at, by: who }).optional(),
  progress: z
    .looseObject({
      itemsDone: z.number().int(),
      itemsTotal: z.number().int().optional().describe('once discovery has found the protected items'),
      written: z.number().int(),
      bytes: z.number(),
      current: z.array(z.looseObject({ protectedItemId: z.string(), displayName: z.string().optional() })),
    })
    .optional()
    .describe('while running'),
});

/** A run just started: its route (`Location`) tells the rest. */
export const runStartedSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  jobId: z.string(),
  trigger: z.literal('manual'),
  status: z.literal('running'),
});
/** An operation just started (a difference report, a retention run): follow it at `Location`. */
export const startedSchema = z.looseObject({ id: z.string(), status: z.string() });

export const itemSummarySchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  folderId: z.string().optional(),
  validFrom: z.number().int(),
  validTo: z.number().int().optional(),
});
export const itemPageSchema = z.object({ value: z.array(itemSummarySchema), continuation: z.string().optional() });

export const previewSchema = z.looseObject({ kind: z.string(), properties: z.record(z.string(), z.unknown()) });

const operation = {
  id: z.string(),
  status: z.string(),
  createdAt: at,
  endedAt: at.optional(),
  request: z.record(z.string(), z.unknown()),
  message: z.string().optional(),
};
export const restoreSchema = z.looseObject({
  ...operation,
  requestedBy: z.string(),
  counts: z.looseObject({ total: z.number(), restored: z.number(), skipped: z.number(), failed: z.number() }),
  failures: z.array(z.looseObject({ itemId: z.string(), name: z.string(), outcome: z.string() })),
  cancelRequested: z.boolean().optional(),
});
export const exportSchema = z.looseObject({
  ...operation,
  requestedBy: z.string(),
  summary: z.record(z.string(), z.number()).optional(),
  download: z.looseObject({ url: z.url(), expiresAt: at }).optional(),
});
export const differenceSchema = z.looseObject({
  ...operation,
  summary: z.record(z.string(), z.number()).optional(),
  total: z.number().int().optional(),
  offset: z.number().int().optional(),
  entries: z.array(z.looseObject({})).optional(),
});

export const grantSchema = grantInput
  .extend({
    id: z.string(),
    accountId: z.string(),
    principalId: z.string(),
    grantedBy: who,
    grantedAt: at,
  })
  .loose();

export const auditSchema = z.looseObject({
  id: z.string(),
  at,
  accountId: z.string(),
  action: z.string(),
  principal: z.looseObject({ id: z.string(), name: z.string().optional(), tenantId: z.string().optional() }),
  clientIp: z.string().optional(),
  subject: z.record(z.string(), z.unknown()),
});

export const retentionRunSchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  items: z
    .array(
      z.looseObject({
        protectedItemId: z.string(),
        kept: z.array(z.looseObject({ seq: z.number().int(), reasons: z.array(z.string()) })),
        marked: z.array(z.number().int()),
        removed: z.array(z.number().int()),
      }),
    )
    .optional(),
});

export const holdSchema = z.object({ hold: hold.nullable() });
export const healthSchema = z.object({ status: z.literal('ok') });
export const documentSchema = z.looseObject({ openapi: z.string() }).describe('this OpenAPI document');

/** `{ value: [...] }`: every list answers so, leaving room for paging. */
export const listOf = <T extends z.ZodType>(item: T) => z.object({ value: z.array(item) });
