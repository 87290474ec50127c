// The preflight's sampled reachability against the emulator: all reachable; a mailbox hidden from the app by an
// application access policy; every sampled mailbox hidden; a licence without Exchange Online; a OneDrive not
// provisioned; a locked site beside open ones; throttling; a permission
// missing (the step is skipped, not failed twice). Each is reported with the backup alarms' cause and fix.
import type { DirectoryEntry } from '../../shared/backup/directory';
import { EVERYTHING as PRODUCT, newApp } from './preflight-apps';
import { runPreflight } from '../../shared/preflight/preflight';
import { MAILBOX_SAMPLE, reachabilitySteps } from '../../shared/preflight/reachability';
import { preflightReport, PreflightReport } from '../../shared/preflight/report';
import { GraphTestBed, later, startGraphTestBed } from './support';

/** What the product uses, and Teams' listing (no workload needs it yet, the reachability sample lists teams). */
const EVERYTHING = [...PRODUCT, 'Team.ReadBasic.All'];

let bed: GraphTestBed;
beforeAll(async () => {
  bed = await startGraphTestBed({ seed: 'preflight-reach' });
});
afterAll(() => bed.stop());

async function reach(app: { clientId: string; clientSecret: string }, roles: string[]) {
  const graph = bed.client({
    tokens: bed.tokens({ clientSecret: app.clientSecret }, { clientId: app.clientId }),
  });
  const steps = await reachabilitySteps(graph, roles, () => Date.now());
  return Object.fromEntries(steps.map((s) => [s.id, s]));
}

/** The mailboxes the preflight samples: the first licensed members with mail on the first page of users. */
async function sampledMailboxes(): Promise<DirectoryEntry[]> {
  const users = await bed
    .client()
    .get<{ value: DirectoryEntry[] }>(
      '/users?$select=id,displayName,userPrincipalName,mail,userType,assignedLicenses&$top=25',
      { mailbox: 'directory', operation: 'users.list', deadline: later() },
    );
  return users.value
    .filter((u) => u.mail && (u.userType ?? 'Member') === 'Member' && (u.assignedLicenses?.length ?? 0) > 0)
    .slice(0, MAILBOX_SAMPLE);
}

describe('preflight reachability (sampled)', () => {
  it('reaches users, mailboxes, a OneDrive, sites and teams for an app granted what the product uses', async () => {
    const app = await newApp(bed, EVERYTHING);
    const r: PreflightReport = await runPreflight({
      account: { tenantId: bed.t.em.tenantId, clientId: app.clientId, credential: { type: 'secret', secretName: 's' } },
      readSecret: async () => app.clientSecret,
      authorityHost: bed.t.em.authorityHost,
      transport: bed.transport,
      jobsSendReports: false,
      now: () => new Date(),
      graph: async () =>
        bed.client({ tokens: bed.tokens({ clientSecret: app.clientSecret }, { clientId: app.clientId }) }),
    });
    expect(preflightReport.parse(r)).toEqual(r);
    const reachSteps = r.steps.filter((s) => s.id.startsWith('reach.'));
    expect(reachSteps.map((s) => [s.id, s.status])).toEqual([
      ['reach.users', 'passed'],
      ['reach.mailboxes', 'passed'],
      ['reach.onedrive', 'passed'],
      ['reach.sites', 'passed'],
      ['reach.teams', 'passed'],
      ['reach.groupMailboxes', 'passed'],
    ]);
    expect(reachSteps.find((s) => s.id === 'reach.groupMailboxes')!.detail).toMatch(/^[12] group mailboxes opened\.$/);
    expect(reachSteps.find((s) => s.id === 'reach.mailboxes')!.detail).toBe(`${MAILBOX_SAMPLE} mailboxes opened.`);
  });

  it('names a mailbox an application access policy hides, as a warning when others are reachable', async () => {
    const app = await newApp(bed, EVERYTHING);
    const [hidden] = await sampledMailboxes();
    await bed.t.control('PUT', 'access-policy', { appId: app.clientId, deniedUsers: [hidden!.id] });
    try {
      const step = (await reach(app, EVERYTHING))['reach.mailboxes']!;
      expect(step).toMatchObject({ status: 'warning', code: 'graph.accessDenied', workload: 'exchange' });
      expect(step.detail).toBe(
        `${MAILBOX_SAMPLE - 1} of ${MAILBOX_SAMPLE} sampled reachable; failed: ${hidden!.userPrincipalName}.`,
      );
      expect(step.fix).toMatch(/application access policy/);
    } finally {
      await bed.t.control('PUT', 'access-policy', { appId: app.clientId, deniedUsers: [] });
    }
  });

  it('fails the mailbox step when no sampled mailbox is reachable', async () => {
    const app = await newApp(bed, EVERYTHING);
    const all = await sampledMailboxes();
    await bed.t.control('PUT', 'access-policy', { appId: app.clientId, deniedUsers: all.map((u) => u.id) });
    try {
      expect((await reach(app, EVERYTHING))['reach.mailboxes']).toMatchObject({
        status: 'failed',
        code: 'graph.accessDenied',
      });
    } finally {
      await bed.t.control('PUT', 'access-policy', { appId: app.clientId, deniedUsers: [] });
    }
  });

  it('names a sampled mailbox whose licence lacks Exchange Online, the others reachable', async () => {
    const app = await newApp(bed, EVERYTHING);
    const [, noExchange] = await sampledMailboxes();
    await bed.t.control('PATCH', `directory/users/${noExchange!.id}`, { mailEnabled: false });
    try {
      const step = (await reach(app, EVERYTHING))['reach.mailboxes']!;
      expect(step).toMatchObject({ status: 'warning', code: 'mailbox.notLicensed', workload: 'exchange' });
      expect(step.detail).toBe(
        `${MAILBOX_SAMPLE - 1} of ${MAILBOX_SAMPLE} sampled reachable; failed: ${noExchange!.userPrincipalName}.`,
      );
      expect(step.fix).toMatch(/Exchange Online licence/);
    } finally {
      await bed.t.control('PATCH', `directory/users/${noExchange!.id}`, { mailEnabled: true });
    }
  });

  it('names a OneDrive not provisioned yet, with the licence and first sign-in fix', async () => {
    const app = await newApp(bed, EVERYTHING);
    const [owner] = await sampledMailboxes();
    await bed.t.control('PATCH', `directory/users/${owner!.id}`, { oneDriveProvisioned: false });
    try {
      const step = (await reach(app, EVERYTHING))['reach.onedrive']!;
      expect(step).toMatchObject({ status: 'warning', code: 'onedrive.inaccessible', workload: 'oneDrive' });
      expect(step.detail).toContain(owner!.userPrincipalName);
      expect(step.fix).toMatch(/provisioned/);
    } finally {
      await bed.t.control('PATCH', `directory/users/${owner!.id}`, { oneDriveProvisioned: true });
    }
  });

  it('reports a locked site with its URL and the unlock steps, the other sites reachable', async () => {
    const app = await newApp(bed, EVERYTHING);
    const sites = (
      await bed
        .client()
        .get<{ value: DirectoryEntry[] }>('/sites/getAllSites?$select=id,name,displayName,webUrl,isPersonalSite', {
          mailbox: 'sites',
          operation: 'sites.read',
          deadline: later(),
        })
    ).value.filter((s) => s.isPersonalSite !== true);
    const locked = sites[0]!;
    await bed.t.control('PUT', `sites/${encodeURIComponent(locked.id)}/lock`, { lockState: 'noAccess' });
    try {
      const step = (await reach(app, EVERYTHING))['reach.sites']!;
      expect(step).toMatchObject({ status: 'warning', code: 'site.locked', workload: 'sites' });
      expect(step.detail).toContain(`failed: ${locked.displayName}`);
      expect(step.fix).toContain(locked.webUrl!);
      expect(step.fix).toMatch(/Set-SPOSite/);
    } finally {
      await bed.t.control('PUT', `sites/${encodeURIComponent(locked.id)}/lock`, { lockState: 'unlock' });
    }
  });

  it('skips what a missing permission forbids instead of failing it a second time', async () => {
    const roles = EVERYTHING.filter(
      (p) => !['Mail.Read', 'Mail.ReadWrite', 'Team.ReadBasic.All', 'Group-Conversation.Read.All'].includes(p),
    );
    const app = await newApp(bed, roles);
    const steps = await reach(app, roles);
    expect(steps['reach.mailboxes']).toMatchObject({ status: 'skipped', permissions: ['Mail.Read'] });
    expect(steps['reach.groupMailboxes']).toMatchObject({
      status: 'skipped',
      permissions: ['Group-Conversation.Read.All'],
    });
    expect(steps['reach.teams']).toMatchObject({ status: 'skipped', permissions: ['Team.ReadBasic.All'] });
    expect(steps['reach.onedrive']!.status).toBe('passed');
  });

  it('reports throttling as a warning that needs no action', async () => {
    const app = await newApp(bed, EVERYTHING);
    // Retry-After past the preflight's budget: the client hands back at once instead of waiting.
    await bed.t.control('POST', 'faults/rules', { status: 429, path: '/teams', times: 5, retryAfterSeconds: 600 });
    try {
      const step = (await reach(app, EVERYTHING))['reach.teams']!;
      expect(step).toMatchObject({ status: 'warning', code: 'graph.throttled' });
      expect(step.fix).toMatch(/^No action needed/);
    } finally {
      await bed.t.control('DELETE', 'faults');
    }
  });
});
