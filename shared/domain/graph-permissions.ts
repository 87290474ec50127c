// Which Microsoft Graph application permission each operation of the product needs (least privilege first), after
// Microsoft's permission reference and the permission tables of comparable products. Backup reads; restore writes.

export const GRAPH_OPERATIONS = {
  'users.list': { action: 'list users', anyOf: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All'] },
  'groups.list': {
    action: 'list groups and memberships',
    anyOf: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All'],
  },
  'mail.read': { action: 'read mail folders and messages', anyOf: ['Mail.Read', 'Mail.ReadWrite'] },
  'mail.write': { action: 'restore mail', anyOf: ['Mail.ReadWrite'] },
  'mail.send': { action: 'send run reports by e-mail', anyOf: ['Mail.Send'] },
  'calendars.read': { action: 'read calendars and events', anyOf: ['Calendars.Read', 'Calendars.ReadWrite'] },
  'calendars.write': { action: 'restore calendar events', anyOf: ['Calendars.ReadWrite'] },
  'contacts.read': { action: 'read contacts', anyOf: ['Contacts.Read', 'Contacts.ReadWrite'] },
  'contacts.write': { action: 'restore contacts', anyOf: ['Contacts.ReadWrite'] },
  'mailboxSettings.read': {
    action: 'read mailbox settings',
    anyOf: ['MailboxSettings.Read', 'MailboxSettings.ReadWrite'],
  },
  'files.read': {
    action: 'read OneDrive and library files',
    anyOf: ['Files.Read.All', 'Files.ReadWrite.All', 'Sites.Read.All', 'Sites.ReadWrite.All'],
  },
  'files.write': { action: 'restore files', anyOf: ['Files.ReadWrite.All', 'Sites.ReadWrite.All'] },
  'sites.read': {
    action: 'read SharePoint sites and lists',
    anyOf: ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.FullControl.All'],
  },
  'sites.write': {
    action: 'restore SharePoint lists and items',
    anyOf: ['Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'],
  },
  'teams.list': {
    action: 'list teams and channels',
    anyOf: ['Team.ReadBasic.All', 'Channel.ReadBasic.All', 'Group.Read.All'],
  },
  'channelMessages.read': { action: 'read channel messages', anyOf: ['ChannelMessage.Read.All'] },
  // Conversations, threads and posts of a group mailbox (v1.0 reference: list and get); writing them is delegated-only.
  'groupConversations.read': {
    action: "read a group mailbox's conversations",
    anyOf: ['Group-Conversation.Read.All', 'Group-Conversation.ReadWrite.All', 'Group.Read.All', 'Group.ReadWrite.All'],
  },
  // Not a Graph call: Key Vault reads go through the same pipeline, and its "permission" is the app identity's role.
  'secrets.read': { action: 'read account credentials from Key Vault', anyOf: ['Key Vault Secrets User'] },
} as const;

export type GraphOperation = keyof typeof GRAPH_OPERATIONS;

/** The permission to grant so the operation succeeds: the least-privileged one, unless one it accepts is granted. */
export function missingPermission(operation: GraphOperation, grantedRoles: readonly string[]): string | undefined {
  const needed = GRAPH_OPERATIONS[operation].anyOf;
  return needed.some((p) => grantedRoles.includes(p)) ? undefined : needed[0];
}
