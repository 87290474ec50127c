// Tenant sizes. 'demo' is small enough to read (and is what the end-to-end tests pin); 'bench' has hundreds of
// mailboxes and 100k+ messages, all generated lazily. Custom profiles give the sizes directly; fields added after
// the first cut are optional and default to "none".
import { z } from 'zod';

export const profileSchema = z.object({
  licensedUsers: z.number().int().min(0),
  sharedMailboxes: z.number().int().min(0),
  /** Messages per folder of every mailbox, by folder key (inbox, sentitems, drafts, deleteditems, archive, junkemail, projects, clients, receipts). */
  messages: z.record(z.string(), z.number().int().min(0)),
  /** Files per OneDrive and their sizes (used by the files workload). */
  filesPerDrive: z.number().int().min(0),
  fileBytes: z.object({ min: z.number().int().min(0), max: z.number().int().min(0) }),
  /** One message in this many carries attachments (0 = none); one in `largeEvery` a >3 MB one (0 = none). */
  attachmentEvery: z.number().int().min(0),
  largeEvery: z.number().int().min(0),
  /** Users without a licence and without a mailbox (mail null). */
  unlicensedUsers: z.number().int().min(0).default(0),
  /** Users whose licence was removed: `mail` is still set, the mailbox is gone (MailboxNotEnabledForRESTAPI). */
  formerMailboxUsers: z.number().int().min(0).default(0),
  /** Soft-deleted users (in deletedItems; users delta reports them as @removed "changed"). */
  deletedUsers: z.number().int().min(0).default(0),
  groups: z
    .object({
      /** Microsoft 365 groups (groupTypes Unified, with a group mailbox); the first `teams` of them are teams. */
      unified: z.number().int().min(0).default(0),
      teams: z.number().int().min(0).default(0),
      security: z.number().int().min(0).default(0),
      membersPerGroup: z.number().int().min(0).default(3),
    })
    .default({ unified: 0, teams: 0, security: 0, membersPerGroup: 3 }),
  eventsPerMailbox: z.number().int().min(0).default(3),
  /** One event in this many is a weekly series (0 = none). */
  recurringEvery: z.number().int().min(0).default(3),
  contactsPerMailbox: z.number().int().min(0).default(3),
  /** Contact folders below the default one, each with `contactsPerFolder` contacts. */
  contactFolders: z.number().int().min(0).default(1),
  contactsPerFolder: z.number().int().min(0).default(0),
  /** SharePoint (sites/model.ts): besides the root site and one team site per Microsoft 365 group, `communication` and
   * `team` sites tied to no group; `listsPerSite` generic lists of `itemsPerList` items on every site. */
  sites: z
    .object({
      communication: z.number().int().min(0).default(0),
      team: z.number().int().min(0).default(0),
      listsPerSite: z.number().int().min(0).default(0),
      itemsPerList: z.number().int().min(0).default(0),
    })
    .default({ communication: 0, team: 0, listsPerSite: 0, itemsPerList: 0 }),
  /** 0: every mailbox has exactly `messages`; 0.5: each mailbox's counts vary ±50% (deterministically). */
  messageVariation: z.number().min(0).max(1).default(0),
  /** Generated mail and events fall in the year before this instant (fixed, so output never depends on today). */
  anchor: z.string().default('2026-06-30T00:00:00Z'),
});

export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;

const PRESETS: Record<'demo' | 'bench', ProfileInput> = {
  demo: {
    licensedUsers: 4,
    sharedMailboxes: 1,
    messages: { inbox: 10, sentitems: 4, drafts: 1, deleteditems: 2, archive: 3, projects: 3 },
    filesPerDrive: 8,
    fileBytes: { min: 2_000, max: 400_000 },
    attachmentEvery: 3,
    largeEvery: 0,
    unlicensedUsers: 1,
    deletedUsers: 1,
    groups: { unified: 2, teams: 1, security: 1, membersPerGroup: 3 },
    eventsPerMailbox: 6,
    recurringEvery: 3,
    contactsPerMailbox: 4,
    contactFolders: 1,
    contactsPerFolder: 2,
    sites: { communication: 1, team: 1, listsPerSite: 1, itemsPerList: 5 },
  },
  bench: {
    licensedUsers: 300,
    sharedMailboxes: 10,
    messages: {
      inbox: 200,
      sentitems: 80,
      drafts: 3,
      deleteditems: 20,
      archive: 60,
      junkemail: 5,
      projects: 20,
      clients: 10,
      receipts: 5,
    },
    filesPerDrive: 50,
    fileBytes: { min: 10_000, max: 2_000_000 },
    attachmentEvery: 4,
    largeEvery: 200,
    unlicensedUsers: 10,
    formerMailboxUsers: 3,
    deletedUsers: 5,
    groups: { unified: 40, teams: 20, security: 20, membersPerGroup: 8 },
    eventsPerMailbox: 40,
    recurringEvery: 5,
    contactsPerMailbox: 30,
    contactFolders: 2,
    contactsPerFolder: 10,
    messageVariation: 0.5,
    sites: { communication: 10, team: 20, listsPerSite: 2, itemsPerList: 200 },
  },
};

export function resolveProfile(p: 'demo' | 'bench' | ProfileInput | undefined): Profile {
  return profileSchema.parse(typeof p === 'object' ? p : PRESETS[p ?? 'demo']);
}
