// The administrator-facing configuration: Microsoft 365 accounts and backup jobs. Every HTTP input goes through
// these schemas; an account holds only a *reference* to its secret or certificate, never the value.
import { z } from 'zod';
import { schedule, timeZone, weekday } from '../domain/schedule';
import { productId } from '../api/ids';
import type { PreflightReport } from '../preflight/report';

const name = z.string().trim().min(1).max(200);
const secretRef = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,127}$/, 'must be a Key Vault secret name (letters, digits, hyphens)');

export const accountInput = z.object({
  displayName: name,
  /** The Microsoft 365 tenant: its GUID or a verified domain such as contoso.onmicrosoft.com. */
  tenantId: z.union([
    z.uuid(),
    z.string().regex(/^(?=.{4,253}$)([a-z0-9-]+\.)+[a-z]{2,}$/i, 'must be a tenant GUID or domain'),
  ]),
  clientId: z.uuid(),
  credential: z.discriminatedUnion('type', [
    z.object({ type: z.literal('secret'), secretName: secretRef }),
    /** A Key Vault certificate (or a local PEM holding certificate and private key). */
    z.object({ type: z.literal('certificate'), certificateName: secretRef }),
  ]),
});
export type AccountInput = z.infer<typeof accountInput>;

/** A backup repository's name: 'default' is the deployment's own backup storage account. */
export const repositoryName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/, 'must be 3-40 lowercase letters, digits or hyphens');
export const DEFAULT_REPOSITORY = 'default';

/**
 * Another Blob container backups can go to (another storage account or region, an immutable container): the
 * Function App's managed identity needs Storage Blob Data Contributor on it.
 */
const containerName = z
  .string()
  .regex(
    /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
    'must be a Blob container name (3-63 lowercase letters, digits, single hyphens)',
  );

export const repositoryInput = z.object({
  name: repositoryName.refine((n) => n !== DEFAULT_REPOSITORY, "is reserved for the deployment's own backup storage"),
  displayName: name,
  blobEndpoint: z
    .url({ protocol: /^https?$/ })
    .refine(
      (u) => u.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u),
      'must be https (http only for a local emulator)',
    ),
  container: containerName,
  /**
   * A container in the same storage account, outside any immutability policy, where objects over 4 MiB upload
   * before the server-side copy under their hash. Omitted: the repository's own container, which an immutable
   * container refuses (each upload's staging blob would be kept as long as the content).
   */
  stagingContainer: containerName.optional(),
  /**
   * Days the container keeps content immutable (its version-level WORM policy), so retention extends the lock of
   * content still in use to always have this long left. Omitted or 0: no immutability.
   */
  immutabilityDays: z.number().int().min(0).max(146_000).optional(),
});
export type RepositoryInput = z.infer<typeof repositoryInput>;

export interface RepositoryDoc extends RepositoryInput {
  id: string;
  accountId: string;
  type: 'repository';
  createdAt: string;
}

export const itemKind = z.enum(['mailbox', 'onedrive', 'site', 'groupMailbox']);
export type ItemKind = z.infer<typeof itemKind>;

const itemSelector = z.object({
  kind: itemKind,
  /**
   * Mailboxes and OneDrives: a user principal name, mail address, display name or Entra object id. Sites: the site's
   * URL, URL name, title or Graph id. Group mailboxes: the group's mail address, display name or Entra object id.
   */
  match: z.string().trim().min(1).max(320),
});

const gfs = z.number().int().min(0).max(10_000);

export const jobInput = z.object({
  name,
  accountId: productId,
  enabled: z.boolean().default(true),
  sources: z
    .object({
      /** The whole account (everything it holds, now and later), or the items listed, in priority order. */
      scope: z.enum(['account', 'selected']),
      include: z
        .object({
          mailboxes: z.boolean().default(true),
          oneDrives: z.boolean().default(true),
          /**
           * Every SharePoint site of the account (root, communication, team and group sites, subsites; not the
           * personal sites behind OneDrives), sites created later included. Off unless asked: a tenant's sites can
           * hold more than all its mailboxes, and jobs written before sites were protected keep what they covered.
           */
          sites: z.boolean().default(false),
          /**
           * The conversations of every Microsoft 365 group of the account, groups created later included. Off unless
           * asked, like sites, so jobs written before group mailboxes were protected keep what they covered.
           */
          groupMailboxes: z.boolean().default(false),
        })
        .default({ mailboxes: true, oneDrives: true, sites: false, groupMailboxes: false }),
      items: z.array(itemSelector).max(5000).default([]),
      exclude: z.array(itemSelector).max(5000).default([]),
    })
    .refine((s) => s.scope === 'account' || s.items.length > 0, {
      message: 'list at least one item when scope is "selected"',
      path: ['items'],
    }),
  /** Where content goes: a repository for the job, and per-item overrides (first match wins). */
  destination: z
    .object({
      repository: repositoryName.default(DEFAULT_REPOSITORY),
      overrides: z
        .array(itemSelector.extend({ repository: repositoryName }))
        .max(5000)
        .default([]),
    })
    .default({ repository: DEFAULT_REPOSITORY, overrides: [] }),
  /** No schedule: the job runs on demand only. */
  schedules: z.array(schedule).max(10).default([]),
  /** Grandfather-father-son retention, stored now and applied by retention runs. */
  retention: z
    .object({
      keepLast: gfs.default(10),
      keepDaily: gfs.default(30),
      keepWeekly: gfs.default(4),
      keepMonthly: gfs.default(12),
      keepYearly: gfs.default(3),
      /** The zone whose calendar days, weeks, months and years the rules count; default: the first schedule's, else UTC. */
      timeZone: timeZone.optional(),
      /** Where a week begins for keepWeekly: ISO 8601's Monday unless the job says otherwise. */
      weekStartsOn: weekday.default('mon'),
    })
    .default({ keepLast: 10, keepDaily: 30, keepWeekly: 4, keepMonthly: 12, keepYearly: 3, weekStartsOn: 'mon' }),
  options: z
    .object({
      /** Protected items backed up at once; each mailbox also stays within Graph's 4 concurrent requests. */
      concurrency: z.number().int().min(1).max(50).default(3),
      reportRecipients: z.array(z.email()).max(50).default([]),
      /**
       * Keep who had access to each OneDrive and library file and folder (its permissions, sharing links included) as
       * metadata: one more Graph request per new, changed or re-shared item.
       */
      sharingPermissions: z.boolean().default(false),
      /** The tenant mailbox the report is sent from (through Graph sendMail; the app needs Mail.Send). */
      reportSender: z.email().optional(),
      /**
       * HTTPS webhooks called before and after each run, in place of the pre/post scripts of server products: a
       * serverless deployment has no machine to run a script on.
       */
      webhooks: z
        .object({
          preRun: z.url({ protocol: /^https$/ }).optional(),
          postRun: z.url({ protocol: /^https$/ }).optional(),
          /** Key Vault secret whose value signs each delivery (HMAC-SHA256 of the body in x-m365vault-signature). */
          signingSecretName: z
            .string()
            .regex(/^[0-9A-Za-z-]{1,127}$/, 'a Key Vault secret name')
            .optional(),
        })
        .default({}),
    })
    .default({ concurrency: 3, reportRecipients: [], sharingPermissions: false, webhooks: {} })
    .refine((o) => o.reportRecipients.length === 0 || o.reportSender !== undefined, {
      message: 'reportSender is required when reportRecipients are given',
      path: ['reportSender'],
    }),
});
export type JobInput = z.infer<typeof jobInput>;

/** A job's fields as the API takes them: its account is the route's. */
export const jobFields = jobInput.omit({ accountId: true });

/**
 * A deleted job or account: a tombstone the API no longer shows and the scheduler no longer starts, kept so retention
 * goes on applying the job's policy to the recovery points it made (they age out; nothing is removed at once).
 */
export interface Deletion {
  at: string;
  by: { id: string; name?: string };
}

/** Who deleted a job or an account, and when. */
export const deletionBy = (principal: { id: string; name?: string }, now: Date): Deletion => ({
  at: now.toISOString(),
  by: { id: principal.id, ...(principal.name ? { name: principal.name } : {}) },
});

/** A litigation hold: retention prunes nothing of what it covers until it is released. */
export interface Hold {
  reason: string;
  by: string;
  at: string;
}

export interface AccountDoc extends AccountInput {
  id: string;
  accountId: string;
  type: 'account';
  createdAt: string;
  updatedAt: string;
  hold?: Hold;
  /** The latest preflight of the account (POST …/preflight): shown wherever the account is, blocking nothing. */
  preflight?: PreflightReport;
  deleted?: Deletion;
}

export interface JobDoc extends JobInput {
  id: string;
  type: 'job';
  /** The schedule occurrence last started, so an occurrence never starts twice. */
  lastScheduledFor?: string;
  createdAt: string;
  updatedAt: string;
  deleted?: Deletion;
}

export interface ProtectedItemDoc {
  id: string;
  accountId: string;
  type: 'protectedItem';
  kind: ItemKind;
  /** The Entra object id of the user (mailbox, OneDrive owner); a site's Graph id (`{hostname},{guid},{guid}`). */
  userId: string;
  displayName: string;
  address: string;
  /** Sequence number of the latest recovery point begun for this item. */
  lastSeq: number;
  firstSeenRunId: string;
  lastSeenRunId: string;
  /** The repository this item's new content goes to (the job's, or an override's); absent: 'default'. */
  repository?: string;
  /** Mailboxes: well-known folder name → id, resolved once (Graph v1.0 folders do not carry their role). */
  wellKnownFolders?: Record<string, string>;
  /** The run that allocated `lastSeq`: a retried allocation by the same run gets the same number back. */
  lastSeqRunId?: string;
  /**
   * The run backing the item up now: two jobs can cover one mailbox, and their syncs must not interleave (they share
   * cursors, and one's resync sweep would close the other's writes). Renewed by each step; expired, it is free.
   */
  lease?: { runId: string; until: string };
  hold?: Hold;
}

/** One path segment and a valid Cosmos id: a site id's commas become underscores (user ids are GUIDs already). */
export const protectedItemId = (accountId: string, kind: ItemKind, userId: string): string =>
  `${accountId}.${kind}.${userId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
