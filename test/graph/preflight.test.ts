// The preflight against the emulated Entra ID and its control API: an all-green account, and each configuration
// error administrators make (wrong or expired secret, the secret's ID, unknown client or tenant, a certificate the
// app does not know, a revoked permission, no admin consent, a skewed clock, a Conditional Access block, a disabled
// application, a public client), each
// reported with cause and fix.
import { randomUUID } from 'node:crypto';
import { generate } from 'selfsigned';
import { WORKLOAD_PERMISSIONS } from '../../shared/preflight/permissions';
import { EVERYTHING, newApp } from './preflight-apps';
import { PreflightInput, runPreflight } from '../../shared/preflight/preflight';
import { preflightReport, PreflightReport, reportText } from '../../shared/preflight/report';
import { GraphTestBed, startGraphTestBed } from './support';

let bed: GraphTestBed;
beforeAll(async () => {
  bed = await startGraphTestBed({ seed: 'preflight' });
});
afterAll(() => bed.stop());

function preflight(
  o: { clientId: string; tenantId?: string; secrets: Record<string, string> } & Partial<PreflightInput>,
): Promise<PreflightReport> {
  const { clientId, tenantId, secrets, ...rest } = o;
  return runPreflight({
    account: {
      tenantId: tenantId ?? bed.t.em.tenantId,
      clientId,
      credential: { type: 'secret', secretName: 'backup-secret' },
    },
    readSecret: async (name) => {
      if (!(name in secrets)) throw new Error(`no secret '${name}'`);
      return secrets[name];
    },
    authorityHost: bed.t.em.authorityHost,
    transport: bed.transport,
    jobsSendReports: true,
    now: () => new Date(),
    ...rest,
  });
}

const stepOf = (r: PreflightReport, id: string) => r.steps.find((s) => s.id === id)!;
const tokenRequests = (from: number) =>
  bed.sent.slice(from).filter((s) => new URL(s.url).pathname.endsWith('/oauth2/v2.0/token')).length;

describe('preflight', () => {
  it('is all green for an app granted exactly what the product uses, and says so in JSON and text', async () => {
    const app = await newApp(bed, EVERYTHING);
    const r = await preflight({ clientId: app.clientId, secrets: { 'backup-secret': app.clientSecret } });
    expect(preflightReport.parse(r)).toEqual(r);
    expect(r.steps.filter((s) => s.status !== 'passed')).toEqual([]);
    expect(r.status).toBe('passed');
    expect(r.steps.map((s) => s.id)).toEqual([
      'input.tenantId',
      'input.clientId',
      'credential.read',
      'input.secret',
      'auth.signIn',
      'auth.clock',
      'permissions.consent',
      ...WORKLOAD_PERMISSIONS.map((w) => `permissions.${w.id}`),
      'permissions.unused',
    ]);
    const text = reportText(r);
    expect(text).toContain(`client ${app.clientId}, secret): passed`);
    expect(text).toMatch(/\[passed +\] Permissions for Exchange mailboxes/);
    // Nothing secret: not the secret, not the token.
    const all = JSON.stringify(r) + text;
    expect(all).not.toContain(app.clientSecret);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/);
  });

  it('names the demo backup app’s permissions no operation uses (the Teams ones) so they can be trimmed', async () => {
    const demo = bed.app();
    const r = await preflight({ clientId: demo.clientId, secrets: { 'backup-secret': demo.clientSecret } });
    expect(r.status).toBe('warning');
    const unused = stepOf(r, 'permissions.unused');
    expect(unused.status).toBe('warning');
    expect(unused.permissions).toEqual(expect.arrayContaining(['ChannelMessage.Read.All', 'Teamwork.Migrate.All']));
    expect(unused.permissions).not.toContain('Mail.Read');
  });

  it('reports a wrong secret as AADSTS7000215 with its fix, and skips the permission steps', async () => {
    const app = await newApp(bed, EVERYTHING);
    const r = await preflight({
      clientId: app.clientId,
      secrets: { 'backup-secret': 'Xyz8Q~not-the-right-value-at-all-000000' },
    });
    expect(r.status).toBe('failed');
    expect(stepOf(r, 'auth.signIn')).toMatchObject({ status: 'failed', code: 'AADSTS7000215' });
    expect(stepOf(r, 'auth.signIn').cause).toContain('rejected the client secret');
    expect(stepOf(r, 'auth.signIn').fix).toContain('not its Secret ID');
    expect(stepOf(r, 'permissions')).toMatchObject({ status: 'skipped' });
    expect(JSON.stringify(r)).not.toContain('not-the-right-value');
  });

  it("stops at the secret's ID before sending anything", async () => {
    const app = await newApp(bed, EVERYTHING);
    const from = bed.sent.length;
    const r = await preflight({ clientId: app.clientId, secrets: { 'backup-secret': randomUUID() } });
    expect(stepOf(r, 'input.secret')).toMatchObject({ status: 'failed', code: 'input.secret' });
    expect(stepOf(r, 'auth.signIn').status).toBe('skipped');
    expect(tokenRequests(from)).toBe(0);
  });

  it('reports an expired secret as AADSTS7000222', async () => {
    const app = await newApp(bed, EVERYTHING);
    const expired = `emu~expired${randomUUID().replace(/-/g, '')}`;
    await bed.t.control('POST', `apps/${app.clientId}/secrets`, { add: expired, expiresAt: '2020-01-01T00:00:00Z' });
    const r = await preflight({ clientId: app.clientId, secrets: { 'backup-secret': expired } });
    expect(stepOf(r, 'auth.signIn')).toMatchObject({ status: 'failed', code: 'AADSTS7000222' });
    expect(stepOf(r, 'auth.signIn').cause).toContain('expired');
  });

  it('reports an unknown client id as AADSTS700016: wrong ids, deleted, or not yet propagated', async () => {
    const r = await preflight({
      clientId: randomUUID(),
      secrets: { 'backup-secret': 'Abc8Q~whatever-value-0123456789abcdefgh' },
    });
    const s = stepOf(r, 'auth.signIn');
    expect(s).toMatchObject({ status: 'failed', code: 'AADSTS700016' });
    expect(s.fix).toMatch(/wait a few minutes/);
    expect(s.fix).toMatch(/deleted/);
  });

  it('reports a sign-in a Conditional Access policy for workload identities blocks as AADSTS53003', async () => {
    const app = await newApp(bed, EVERYTHING);
    await bed.t.control('PUT', `apps/${app.clientId}/conditional-access`, { block: true });
    const r = await preflight({ clientId: app.clientId, secrets: { 'backup-secret': app.clientSecret } });
    const s = stepOf(r, 'auth.signIn');
    expect(s).toMatchObject({ status: 'failed', code: 'AADSTS53003' });
    expect(s.cause).toMatch(/Conditional Access/);
    expect(s.fix).toMatch(/Service principal sign-ins/);
    expect(r.status).toBe('failed');
    await bed.t.control('PUT', `apps/${app.clientId}/conditional-access`, { block: false });
    expect(
      stepOf(await preflight({ clientId: app.clientId, secrets: { 'backup-secret': app.clientSecret } }), 'auth.signIn')
        .status,
    ).toBe('passed');
  });

  it('reports a disabled enterprise application as AADSTS7000112 and a public client as AADSTS700025', async () => {
    const app = await newApp(bed, EVERYTHING);
    const run = () => preflight({ clientId: app.clientId, secrets: { 'backup-secret': app.clientSecret } });
    await bed.t.control('PATCH', `apps/${app.clientId}`, { enabled: false });
    expect(stepOf(await run(), 'auth.signIn')).toMatchObject({
      status: 'failed',
      code: 'AADSTS7000112',
      fix: expect.stringMatching(/Enabled for users to sign in/),
    });
    await bed.t.control('PATCH', `apps/${app.clientId}`, { enabled: true, publicClient: true });
    expect(stepOf(await run(), 'auth.signIn')).toMatchObject({
      status: 'failed',
      code: 'AADSTS700025',
      fix: expect.stringMatching(/Allow public client flows/),
    });
    await bed.t.control('PATCH', `apps/${app.clientId}`, { publicClient: false });
    expect(stepOf(await run(), 'auth.signIn').status).toBe('passed');
  });

  it('reports an unknown tenant as AADSTS90002', async () => {
    const app = await newApp(bed, EVERYTHING);
    const r = await preflight({
      clientId: app.clientId,
      tenantId: randomUUID(),
      secrets: { 'backup-secret': app.clientSecret },
    });
    expect(stepOf(r, 'auth.signIn')).toMatchObject({ status: 'failed', code: 'AADSTS90002' });
    expect(stepOf(r, 'auth.signIn').fix).toMatch(/tenant id/);
  });

  it('reports a secret the store does not have with the Key Vault fix', async () => {
    const app = await newApp(bed, EVERYTHING);
    const r = await preflight({ clientId: app.clientId, secrets: {} });
    expect(stepOf(r, 'credential.read')).toMatchObject({ status: 'failed', code: 'secret.unavailable' });
    expect(stepOf(r, 'credential.read').fix).toContain("'backup-secret'");
  });

  it('names a revoked permission per workload and purpose, and a missing restore one as a warning', async () => {
    const app = await newApp(bed, EVERYTHING);
    // Calendars.ReadWrite would serve backups too: both go; Sites.ReadWrite.All (site list restores) would serve
    // file restores: it goes too.
    await bed.t.control('POST', `apps/${app.clientId}/roles`, {
      revoke: ['Calendars.Read', 'Calendars.ReadWrite', 'Files.ReadWrite.All', 'Sites.ReadWrite.All'],
    });
    const r = await preflight({ clientId: app.clientId, secrets: { 'backup-secret': app.clientSecret } });
    expect(r.status).toBe('failed');
    const mail = stepOf(r, 'permissions.mailboxes');
    expect(mail).toMatchObject({
      status: 'failed',
      permissions: ['Calendars.Read', 'Calendars.ReadWrite'],
      code: 'graph.permissionMissing',
    });
    expect(mail.detail).toContain('backup: missing Calendars.Read');
    expect(mail.cause).toContain('cannot be backed up');
    expect(mail.fix).toContain('Grant admin consent');
    const drive = stepOf(r, 'permissions.oneDrive');
    expect(drive).toMatchObject({ status: 'warning', permissions: ['Files.ReadWrite.All'] });
    expect(drive.cause).toMatch(/restoring them fails/);
    expect(stepOf(r, 'permissions.sites')).toMatchObject({
      status: 'warning',
      permissions: ['Files.ReadWrite.All', 'Sites.ReadWrite.All'],
    });
    expect(stepOf(r, 'permissions.consent').status).toBe('passed');
  });

  it('reports no roles at all as admin consent not granted', async () => {
    const app = await newApp(bed, []);
    const r = await preflight({ clientId: app.clientId, secrets: { 'backup-secret': app.clientSecret } });
    const s = stepOf(r, 'permissions.consent');
    expect(s).toMatchObject({ status: 'failed', code: 'permissions.noConsent' });
    expect(s.fix).toContain('User.Read.All');
    expect(stepOf(r, 'permissions.mailboxes').status).toBe('failed');
  });

  it('needs Mail.Send only when a job sends e-mail reports', async () => {
    const app = await newApp(
      bed,
      EVERYTHING.filter((p) => p !== 'Mail.Send'),
    );
    const secrets = { 'backup-secret': app.clientSecret };
    expect(stepOf(await preflight({ clientId: app.clientId, secrets }), 'permissions.runReports')).toMatchObject({
      status: 'failed',
      permissions: ['Mail.Send'],
    });
    const without = await preflight({ clientId: app.clientId, secrets, jobsSendReports: false });
    expect(stepOf(without, 'permissions.runReports').status).toBe('skipped');
    expect(without.status).toBe('passed');
  });

  it('signs in with a certificate it checked, and reports one the app does not know as AADSTS700027', async () => {
    const app = await newApp(bed, EVERYTHING);
    const pems = await generate([{ name: 'commonName', value: 'preflight' }], { keySize: 2048, algorithm: 'sha256' });
    const certificate = { type: 'certificate' as const, certificateName: 'backup-cert' };
    const run = () =>
      runPreflight({
        account: { tenantId: bed.t.em.tenantId, clientId: app.clientId, credential: certificate },
        readSecret: async () => `${pems.cert}\n${pems.private}`,
        authorityHost: bed.t.em.authorityHost,
        transport: bed.transport,
        jobsSendReports: true,
        now: () => new Date(),
      });
    const unknown = await run();
    expect(stepOf(unknown, 'input.certificateKey').status).toBe('passed');
    expect(stepOf(unknown, 'auth.signIn')).toMatchObject({ status: 'failed', code: 'AADSTS700027' });
    expect(stepOf(unknown, 'auth.signIn').fix).toContain('Certificates & secrets');
    await bed.t.control('POST', `apps/${app.clientId}/certificates`, { certificatePem: pems.cert });
    const known = await run();
    expect(known.status).toBe('passed');
    expect(JSON.stringify(known)).not.toContain('PRIVATE KEY');
  });

  // Last: it moves the emulator's clock for the rest of the file.
  it("warns when this machine's clock and Entra ID's differ by more than five minutes", async () => {
    const app = await newApp(bed, EVERYTHING);
    await bed.t.control('POST', 'clock', { advanceSeconds: 900 });
    const r = await preflight({ clientId: app.clientId, secrets: { 'backup-secret': app.clientSecret } });
    const s = stepOf(r, 'auth.clock');
    expect(s).toMatchObject({ status: 'warning', code: 'auth.clockSkew' });
    expect(s.cause).toMatch(/behind Entra ID/);
  });
});
