// The administrator-facing configuration: Microsoft 365 accounts and backup jobs. Every HTTP input goes through
// these schemas; an account holds only a *reference* to its secret or certificate, never the value.
import { z } from 'zod';
import { schedule } from '../domain/schedule';

const name = z.string().trim().min(1).max(200);
const secretRef = z.string().regex(/^[A-Za-z0-9-]{1,127}$/, 'must be a Key Vault secret name (letters, digits, hyphens)');

export const accountInput = z.object({
  displayName: name,
  /** The Microsoft 365 tenant: its GUID or a verified domain such as contoso.onmicrosoft.com. */
  tenantId: z.union([z.uuid(), z.string().regex(/^(?=.{4,253}$)([a-z0-9-]+\.)+[a-z]{2,}$/i, 'must be a tenant GUID or domain')]),
  clientId: z.uuid(),
  credential: z.discriminatedUnion('type', [
    z.object({ type: z.literal('secret'), secretName: secretRef }),
    /** A Key Vault certificate (or a local PEM holding certificate and private key). */
    z.object({ type: z.literal('certificate'), certificateName: secretRef }),
  ]),
});
export type AccountInput = z.infer<typeof accountInput>;

export const itemKind = z.enum(['mailbox', 'onedrive']);
export type ItemKind = z.infer<typeof itemKind>;

const itemSelector = z.object({
  kind: itemKind,
  /** A user principal name, mail address, display name or Entra object id. */
  match: z.string().trim().min(1).max(320),
});

const gfs = z.number().int().min(0).max(10_000);

export const jobInput = z.object({
  name,
  accountId: z.string().min(1).max(100),
  enabled: z.boolean().default(true),
  sources: z.object({
    /** The whole account (everything it holds, now and later), or the items listed, in priority order. */
    scope: z.enum(['account', 'selected']),
    include: z.object({ mailboxes: z.boolean().default(true), oneDrives: z.boolean().default(true) }).default({ mailboxes: true, oneDrives: true }),
    items: z.array(itemSelector).max(5000).default([]),
    exclude: z.array(itemSelector).max(5000).default([]),
  }).refine((s) => s.scope === 'account' || s.items.length > 0, { message: 'list at least one item when scope is "selected"', path: ['items'] }),
  destination: z.object({
    repository: z.literal('default').default('default'),
  }).default({ repository: 'default' }),
  /** No schedule: the job runs on demand only. */
  schedules: z.array(schedule).max(10).default([]),
  /** Grandfather-father-son retention, stored now and applied by retention runs. */
  retention: z.object({
    keepLast: gfs.default(10),
    keepDaily: gfs.default(30),
    keepWeekly: gfs.default(4),
    keepMonthly: gfs.default(12),
    keepYearly: gfs.default(3),
  }).default({ keepLast: 10, keepDaily: 30, keepWeekly: 4, keepMonthly: 12, keepYearly: 3 }),
  options: z.object({
    /** Protected items backed up at once; each mailbox also stays within Graph's 4 concurrent requests. */
    concurrency: z.number().int().min(1).max(50).default(3),
    reportRecipients: z.array(z.email()).max(50).default([]),
    /** The tenant mailbox the report is sent from (through Graph sendMail; the app needs Mail.Send). */
    reportSender: z.email().optional(),
    /**
     * HTTPS webhooks called before and after each run, in place of the pre/post scripts of server products: a
     * serverless deployment has no machine to run a script on.
     */
    webhooks: z.object({
      preRun: z.url({ protocol: /^https$/ }).optional(),
      postRun: z.url({ protocol: /^https$/ }).optional(),
      /** Key Vault secret whose value signs each delivery (HMAC-SHA256 of the body in x-m365vault-signature). */
      signingSecretName: z.string().regex(/^[0-9A-Za-z-]{1,127}$/, 'a Key Vault secret name').optional(),
    }).default({}),
  }).default({ concurrency: 3, reportRecipients: [], webhooks: {} })
    .refine((o) => o.reportRecipients.length === 0 || o.reportSender !== undefined, { message: 'reportSender is required when reportRecipients are given', path: ['reportSender'] }),
});
export type JobInput = z.infer<typeof jobInput>;

export interface AccountDoc extends AccountInput {
  id: string;
  accountId: string;
  type: 'account';
  createdAt: string;
  updatedAt: string;
}

export interface JobDoc extends JobInput {
  id: string;
  type: 'job';
  /** The schedule occurrence last started, so an occurrence never starts twice. */
  lastScheduledFor?: string;
  createdAt: string;
  updatedAt: string;
}

export interface ProtectedItemDoc {
  id: string;
  accountId: string;
  type: 'protectedItem';
  kind: ItemKind;
  /** The Entra object id of the user (mailbox, OneDrive owner). */
  userId: string;
  displayName: string;
  address: string;
  /** Sequence number of the latest recovery point begun for this item. */
  lastSeq: number;
  firstSeenRunId: string;
  lastSeenRunId: string;
  /** Mailboxes: well-known folder name → id, resolved once (Graph v1.0 folders do not carry their role). */
  wellKnownFolders?: Record<string, string>;
}

export const protectedItemId = (accountId: string, kind: ItemKind, userId: string): string => `${accountId}.${kind}.${userId}`;
