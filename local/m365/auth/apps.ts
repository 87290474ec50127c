// App registrations of the emulated tenant: credentials, the Graph application permissions granted with admin
// consent, and the app roles assigned on the product's own API.
import { guidOf } from '../tenant/seeded';

export interface AppRegistration {
  clientId: string;
  /** The object id of the app's service principal in the tenant: the `oid` of its app-only tokens (not the client id). */
  objectId: string;
  displayName: string;
  secrets: Array<{ value: string; expiresAt: Date }>;
  /** PEM public keys of uploaded certificates, by SHA-1 and SHA-256 thumbprint (base64url). */
  certificates: Array<{ publicKeyPem: string; x5t: string; x5tS256: string }>;
  graphRoles: Set<string>;
  /** Roles on other resource apps, by audience (e.g. api://m365-vault → Backup.Administrator). */
  apiRoles: Map<string, Set<string>>;
  /**
   * Security groups the service principal is a member of: tokens for the product's API list them in `groups`, as an
   * app registration with groupMembershipClaims "SecurityGroup" gets them (past 200, an overage reference instead).
   */
  groups: string[];
  /**
   * A Conditional Access policy for workload identities blocks the app's sign-in (e.g. by location): the token
   * endpoint answers AADSTS53003 after checking the credential.
   */
  blockedByConditionalAccess?: boolean;
  /** The service principal's "Enabled for users to sign in" is No: AADSTS7000112. */
  disabled?: boolean;
  /** "Allow public client flows": a public client may present no secret or certificate (AADSTS700025). */
  publicClient?: boolean;
}

/** Teams: the team, its channels, members, tabs and channel messages (least privileged, no Group.Read.All). */
const TEAMS_READ_ROLES = [
  'Team.ReadBasic.All',
  'TeamSettings.Read.All',
  'Channel.ReadBasic.All',
  'ChannelMember.Read.All',
  'TeamMember.Read.All',
  'ChannelMessage.Read.All',
  'TeamsTab.Read.All',
];
/** Group conversations: the least-privileged read, not Group.Read.All (which would grant the whole directory's groups). */
export const BACKUP_READ_ROLES = [
  'User.Read.All',
  'GroupMember.Read.All',
  'Mail.Read',
  'Calendars.Read',
  'Contacts.Read',
  'Files.Read.All',
  'Sites.Read.All',
  'Group-Conversation.Read.All',
  ...TEAMS_READ_ROLES,
];
/** Teamwork.Migrate.All: channels in migration mode and message import, the only app-only way to write messages. */
export const RESTORE_ROLES = [
  'Mail.ReadWrite',
  'Calendars.ReadWrite',
  'Contacts.ReadWrite',
  'Files.ReadWrite.All',
  'Sites.ReadWrite.All',
  'Teamwork.Migrate.All',
];
/** Run reports by e-mail (sendMail from a tenant mailbox). */
export const NOTIFY_ROLES = ['Mail.Send'];
export const API_AUDIENCE = 'api://m365-vault';
/** Resource apps registered in every emulated tenant besides Graph: an app may get a token for them without a role. */
export const REGISTERED_RESOURCES = [API_AUDIENCE];

/** An app registration with a client secret; its ids are derived from the seed and its name. */
export function appRegistration(
  seed: string,
  name: string,
  graphRoles: readonly string[],
  apiRoles: readonly string[] = [],
): AppRegistration {
  return {
    clientId: guidOf(seed, 'app', name),
    objectId: guidOf(seed, 'servicePrincipal', name),
    displayName: name,
    secrets: [
      { value: `emu~${guidOf(seed, 'secret', name).replace(/-/g, '')}`, expiresAt: new Date('2099-01-01T00:00:00Z') },
    ],
    certificates: [],
    graphRoles: new Set(graphRoles),
    apiRoles: new Map(apiRoles.length ? [[API_AUDIENCE, new Set(apiRoles)]] : []),
    groups: [],
  };
}

/** Demo credentials are derived from the seed: printed by `npm run emulator`, never real secrets. */
export function demoApps(seed: string): AppRegistration[] {
  const app = (name: string, graphRoles: string[], apiRoles: string[] = []): AppRegistration =>
    appRegistration(seed, name, graphRoles, apiRoles);
  return [
    app('m365-vault backup', [...BACKUP_READ_ROLES, ...RESTORE_ROLES, ...NOTIFY_ROLES]),
    app('m365-vault read-only backup', BACKUP_READ_ROLES),
    app('m365-vault admin console', [], ['Backup.Administrator']),
    app('m365-vault auditor', [], ['Backup.Reader']),
  ];
}
