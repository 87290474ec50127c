// Reachability, sampled and bounded: a few requests per workload (never a whole directory), each failure turned
// into cause and fix by the same classification the backup alarms use, so a preflight says before the first run what
// that run would meet: mailboxes hidden by an application access policy or RBAC for Applications, unlicensed
// mailboxes, OneDrives not provisioned, locked sites, group mailboxes the app may not read, throttling, the network.
import type { Alarm, Subject } from '../domain/alarms';
import { GRAPH_OPERATIONS, GraphOperation, missingPermission } from '../domain/graph-permissions';
import { alarmFor } from '../backup/failures';
import type { DirectoryEntry } from '../backup/directory';
import type { GraphSession } from '../graph/graph-session';
import { PreflightStep, step } from './report';

/** Mailboxes opened: more than one, so a policy that scopes the app to some of them shows as such. */
export const MAILBOX_SAMPLE = 3;
export const SITE_SAMPLE = 3;
/** Microsoft 365 groups whose conversations are opened. */
export const GROUP_SAMPLE = 2;
/** Users read to pick the samples from: one page, not the directory. */
const USER_PAGE = 25;
/** How long the whole sampling may take, throttling waits included. */
const BUDGET_MS = 60_000;

type Probe = Pick<GraphSession, 'get'>;

interface Outcome {
  subject: Subject;
  alarm?: Alarm;
  /** A failure that is none of Graph's (the network, a timeout): its message. */
  error?: string;
}

const seg = encodeURIComponent;
const isMember = (u: DirectoryEntry): boolean => (u.userType ?? 'Member') === 'Member';
const licensed = (u: DirectoryEntry): boolean => (u.assignedLicenses?.length ?? 0) > 0;
const nameOf = (u: DirectoryEntry): string => u.userPrincipalName ?? u.displayName ?? u.id;

async function probe(
  run: () => Promise<unknown>,
  operation: GraphOperation,
  subject: Subject,
  roles: string[],
): Promise<Outcome> {
  try {
    await run();
    return { subject };
  } catch (e) {
    const alarm = alarmFor(e, operation, subject, roles);
    return alarm ? { subject, alarm } : { subject, error: (e as Error).message.split('\n')[0] };
  }
}

/** One step from the outcomes of one workload's samples: the worst of them, with every subject that failed named. */
function stepOf(id: string, title: string, workload: string, outcomes: Outcome[], passed: string): PreflightStep {
  const failures = outcomes.filter((o) => o.alarm || o.error);
  if (failures.length === 0) return step(id, title, 'passed', { workload, detail: passed });
  const first = failures.find((o) => o.alarm && !o.alarm.transient) ?? failures[0]!;
  const names = failures.map((o) => o.subject.name).join(', ');
  const reached = outcomes.length - failures.length;
  const detail = `${reached} of ${outcomes.length} sampled reachable; failed: ${names}.`;
  if (first.error)
    return step(id, title, 'warning', {
      workload,
      detail,
      code: 'network',
      cause: `The request did not get an answer from Microsoft Graph: ${first.error}.`,
      fix: 'Check the app’s outbound network path to graph.microsoft.com (firewall, proxy, private DNS), then run the preflight again.',
    });
  const alarm = first.alarm!;
  // Transient (throttling) or partial reach is a warning: the workload works, not for everything or not right now.
  const status = alarm.transient || alarm.severity !== 'error' || reached > 0 ? 'warning' : 'failed';
  return step(id, title, status, {
    workload,
    detail,
    code: alarm.code,
    cause: alarm.message,
    fix: alarm.fix,
    ...(alarm.permission ? { permissions: [alarm.permission] } : {}),
  });
}

const withoutPermission = (id: string, title: string, workload: string, operation: GraphOperation, roles: string[]) => {
  const missing = missingPermission(operation, roles);
  return missing
    ? step(id, title, 'skipped', {
        workload,
        cause: `Not tried: the application lacks ${missing} (to ${GRAPH_OPERATIONS[operation].action}); see the permission steps.`,
        permissions: [missing],
      })
    : undefined;
};

export async function reachabilitySteps(graph: Probe, roles: string[], now: () => number): Promise<PreflightStep[]> {
  const deadline = now() + BUDGET_MS;
  const get = (path: string, operation: GraphOperation, mailbox: string) =>
    graph.get<{ value?: DirectoryEntry[] }>(path, { mailbox, operation, deadline });
  const tenant: Subject = { kind: 'tenant', name: 'the tenant' };
  const steps: PreflightStep[] = [];

  const usersTitle = 'List users (one page)';
  let users: DirectoryEntry[] = [];
  const noUsers = withoutPermission('reach.users', usersTitle, 'directory', 'users.list', roles);
  if (noUsers) steps.push(noUsers);
  else {
    const listed = await probe(
      async () => {
        users =
          (
            await get(
              `/users?$select=id,displayName,userPrincipalName,mail,userType,assignedLicenses&$top=${USER_PAGE}`,
              'users.list',
              'directory',
            )
          ).value ?? [];
      },
      'users.list',
      tenant,
      roles,
    );
    steps.push(stepOf('reach.users', usersTitle, 'directory', [listed], `${users.length} users on the first page.`));
  }

  const mailTitle = `Open the mail folders of up to ${MAILBOX_SAMPLE} mailboxes`;
  const mailboxes = users.filter((u) => u.mail && isMember(u) && licensed(u)).slice(0, MAILBOX_SAMPLE);
  const noMail = withoutPermission('reach.mailboxes', mailTitle, 'exchange', 'mail.read', roles);
  if (noMail) steps.push(noMail);
  else if (mailboxes.length === 0)
    steps.push(
      step('reach.mailboxes', mailTitle, users.length ? 'warning' : 'skipped', {
        workload: 'exchange',
        cause: users.length
          ? 'None of the users sampled has a licensed mailbox: mailboxes of unlicensed users cannot be backed up.'
          : 'No users to sample.',
        ...(users.length
          ? { fix: 'Assign Exchange Online licences to the users whose mailboxes should be protected.' }
          : {}),
      }),
    );
  else {
    const outcomes = await Promise.all(
      mailboxes.map((u) =>
        probe(
          () => get(`/users/${seg(u.id)}/mailFolders?$top=1&$select=id`, 'mail.read', u.id),
          'mail.read',
          { kind: 'mailbox', name: nameOf(u) },
          roles,
        ),
      ),
    );
    steps.push(stepOf('reach.mailboxes', mailTitle, 'exchange', outcomes, `${outcomes.length} mailboxes opened.`));
  }

  const driveTitle = "Open one user's OneDrive";
  const owner = users.find((u) => isMember(u) && licensed(u));
  const noFiles = withoutPermission('reach.onedrive', driveTitle, 'oneDrive', 'files.read', roles);
  if (noFiles) steps.push(noFiles);
  else if (owner) {
    const opened = await probe(
      () => get(`/users/${seg(owner.id)}/drive/root?$select=id`, 'files.read', owner.id),
      'files.read',
      { kind: 'onedrive', name: nameOf(owner) },
      roles,
    );
    steps.push(stepOf('reach.onedrive', driveTitle, 'oneDrive', [opened], `${nameOf(owner)}'s OneDrive opened.`));
  } else
    steps.push(step('reach.onedrive', driveTitle, 'skipped', { workload: 'oneDrive', cause: 'No licensed user.' }));

  const sitesTitle = `List sites and open the libraries of up to ${SITE_SAMPLE}`;
  const noSites = withoutPermission('reach.sites', sitesTitle, 'sites', 'sites.read', roles);
  if (noSites) steps.push(noSites);
  else {
    let sites: DirectoryEntry[] = [];
    const listed = await probe(
      async () => {
        sites =
          (await get('/sites/getAllSites?$select=id,name,displayName,webUrl,isPersonalSite', 'sites.read', 'sites'))
            .value ?? [];
      },
      'sites.read',
      { kind: 'site', name: 'the site list' },
      roles,
    );
    const sample = sites.filter((s) => s.isPersonalSite !== true).slice(0, SITE_SAMPLE);
    const opened = await Promise.all(
      sample.map((s) =>
        probe(
          () => get(`/sites/${seg(s.id)}/drives?$select=id`, 'files.read', s.id),
          'files.read',
          { kind: 'site', name: s.displayName ?? s.name ?? s.id, ...(s.webUrl ? { url: s.webUrl } : {}) },
          roles,
        ),
      ),
    );
    steps.push(stepOf('reach.sites', sitesTitle, 'sites', [listed, ...opened], `${opened.length} sites opened.`));
  }

  const teamsTitle = 'List teams';
  const noTeams = withoutPermission('reach.teams', teamsTitle, 'teams', 'teams.list', roles);
  if (noTeams) steps.push(noTeams);
  else {
    let count = 0;
    const listed = await probe(
      async () => {
        count = ((await get('/teams?$select=id,displayName&$top=5', 'teams.list', 'teams')).value ?? []).length;
      },
      'teams.list',
      { kind: 'team', name: 'the team list' },
      roles,
    );
    steps.push(stepOf('reach.teams', teamsTitle, 'teams', [listed], `${count} teams on the first page.`));
  }

  steps.push(await groupMailboxStep(get, roles));
  return steps;
}

/** Lists Microsoft 365 groups (one short page) and opens the conversation threads of a few, as a backup reads them. */
async function groupMailboxStep(
  get: (path: string, operation: GraphOperation, mailbox: string) => Promise<{ value?: DirectoryEntry[] }>,
  roles: string[],
): Promise<PreflightStep> {
  const title = `List Microsoft 365 groups and open the conversations of up to ${GROUP_SAMPLE}`;
  const skipped =
    withoutPermission('reach.groupMailboxes', title, 'groupMailboxes', 'groups.list', roles) ??
    withoutPermission('reach.groupMailboxes', title, 'groupMailboxes', 'groupConversations.read', roles);
  if (skipped) return skipped;
  let groups: DirectoryEntry[] = [];
  const listed = await probe(
    async () => {
      groups =
        (
          await get(
            `/groups?$filter=groupTypes/any(c:c eq 'Unified')&$select=id,displayName,mail&$top=${GROUP_SAMPLE}`,
            'groups.list',
            'directory',
          )
        ).value ?? [];
    },
    'groups.list',
    { kind: 'tenant', name: 'the group list' },
    roles,
  );
  const opened = await Promise.all(
    groups
      .slice(0, GROUP_SAMPLE)
      .map((g) =>
        probe(
          () => get(`/groups/${seg(g.id)}/threads?$top=1&$select=id`, 'groupConversations.read', g.id),
          'groupConversations.read',
          { kind: 'groupMailbox', name: g.mail ?? g.displayName ?? g.id },
          roles,
        ),
      ),
  );
  return stepOf(
    'reach.groupMailboxes',
    title,
    'groupMailboxes',
    [listed, ...opened],
    opened.length ? `${opened.length} group mailboxes opened.` : 'No Microsoft 365 groups in the tenant.',
  );
}
