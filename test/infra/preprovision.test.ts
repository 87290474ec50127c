// infra/scripts/preprovision.js against stand-ins of the Azure CLI (`az`, with Graph behind `az rest`) and `azd`:
// what it creates in Entra, and that a second run creates nothing more. The stand-ins keep Entra's state in a file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const script = path.join(root, 'infra/scripts/preprovision.js');
const roles = JSON.parse(fs.readFileSync(path.join(root, 'infra/scripts/api-app-roles.json'), 'utf8')) as Array<{
  id: string;
  value: string;
}>;

interface State {
  tenant: string;
  user: string;
  apps: Array<Record<string, unknown> & { id: string; appId: string; displayName: string }>;
  sps: Array<{ id: string; appId: string; assigned: Array<Record<string, string>> }>;
  env: Record<string, string>;
  calls: string[][];
}

// The stand-ins: Node scripts named az and azd, first on PATH.
const AZ = `#!/usr/bin/env node
const fs = require('fs');
const file = process.env.STUB_STATE;
const s = JSON.parse(fs.readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
s.calls.push(['az', ...args]);
const save = () => fs.writeFileSync(file, JSON.stringify(s));
const arg = (n) => args[args.indexOf(n) + 1];
let out = '';
if (args[0] === 'account') out = s.tenant;
else if (args[0] === 'ad' && args[1] === 'signed-in-user') out = s.user;
else if (args[0] === 'rest') {
  const method = arg('--method');
  const url = new URL(arg('--url'));
  const body = args.includes('--body') ? JSON.parse(fs.readFileSync(arg('--body').slice(1), 'utf8')) : undefined;
  const p = url.pathname.replace('/v1.0', '');
  const f = url.searchParams.get('$filter') || '';
  const eq = (/eq '([^']*)'/.exec(f) || [])[1];
  let m;
  if (method === 'GET' && p === '/applications') out = JSON.stringify({ value: s.apps.filter((a) => a.displayName === eq) });
  else if (method === 'POST' && p === '/applications') {
    const app = { id: 'obj-' + (s.apps.length + 1), appId: 'app-' + (s.apps.length + 1), api: {}, ...body };
    s.apps.push(app);
    out = JSON.stringify(app);
  } else if (method === 'PATCH' && (m = /^\\/applications\\/(.+)$/.exec(p))) {
    const app = s.apps.find((a) => a.id === m[1]);
    Object.assign(app, body);
  } else if (method === 'GET' && p === '/servicePrincipals') out = JSON.stringify({ value: s.sps.filter((x) => x.appId === eq) });
  else if (method === 'POST' && p === '/servicePrincipals') {
    const sp = { id: 'sp-' + (s.sps.length + 1), appId: body.appId, assigned: [] };
    s.sps.push(sp);
    out = JSON.stringify(sp);
  } else if ((m = /^\\/servicePrincipals\\/([^/]+)\\/appRoleAssignedTo$/.exec(p))) {
    const sp = s.sps.find((x) => x.id === m[1]);
    if (method === 'GET') out = JSON.stringify({ value: sp.assigned });
    else { sp.assigned.push(body); out = JSON.stringify(body); }
  } else { process.stderr.write('unscripted ' + method + ' ' + url + '\\n'); process.exit(2); }
} else { process.stderr.write('unscripted az ' + args.join(' ') + '\\n'); process.exit(2); }
save();
process.stdout.write(out + '\\n');
`;
const AZD = `#!/usr/bin/env node
const fs = require('fs');
const s = JSON.parse(fs.readFileSync(process.env.STUB_STATE, 'utf8'));
const args = process.argv.slice(2);
s.calls.push(['azd', ...args]);
if (args[0] === 'env' && args[1] === 'set') s.env[args[2]] = args[3];
fs.writeFileSync(process.env.STUB_STATE, JSON.stringify(s));
`;

describe('preprovision: the API app registration', () => {
  let dir: string;
  let stateFile: string;
  const state = (): State => JSON.parse(fs.readFileSync(stateFile, 'utf8')) as State;
  const run = (env: Record<string, string> = {}): string =>
    execFileSync(process.execPath, [script], {
      encoding: 'utf8',
      env: {
        PATH: `${path.join(dir, 'bin')}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
        STUB_STATE: stateFile,
        AZURE_ENV_NAME: 'dev',
        ...env,
      },
    });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preprovision-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    for (const [name, body] of [
      ['az', AZ],
      ['azd', AZD],
    ]) {
      fs.writeFileSync(path.join(dir, 'bin', name), body);
      fs.chmodSync(path.join(dir, 'bin', name), 0o755);
    }
    stateFile = path.join(dir, 'state.json');
    const initial: State = {
      tenant: '11111111-2222-3333-4444-555555555555',
      user: 'user-1',
      apps: [],
      sps: [],
      env: {},
      calls: [],
    };
    fs.writeFileSync(stateFile, JSON.stringify(initial));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the app with its roles, v2 tokens, a tenant-scoped URI and a scope, makes the deployer an administrator, and sets the audience', () => {
    expect(run()).toContain('API audience: app-1,api://11111111-2222-3333-4444-555555555555/m365-vault-api-dev');
    const s = state();
    expect(s.apps).toHaveLength(1);
    const [app] = s.apps;
    expect(app).toMatchObject({
      displayName: 'm365-vault-api-dev',
      signInAudience: 'AzureADMyOrg',
      identifierUris: ['api://11111111-2222-3333-4444-555555555555/m365-vault-api-dev'],
      appRoles: roles,
      api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [{ value: 'access_as_user', isEnabled: true }] },
    });
    // The Azure CLI may ask for the scope: an administrator's `az account get-access-token --scope …` works.
    const api = app.api as { oauth2PermissionScopes: Array<{ id: string }>; preAuthorizedApplications: unknown[] };
    expect(api.preAuthorizedApplications).toEqual([
      { appId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', delegatedPermissionIds: [api.oauth2PermissionScopes[0].id] },
    ]);
    expect(roles.map((r) => r.value).sort()).toEqual(['Backup.Administrator', 'Backup.Reader']);
    expect(s.sps).toEqual([
      {
        id: 'sp-1',
        appId: 'app-1',
        assigned: [
          {
            principalId: 'user-1',
            resourceId: 'sp-1',
            appRoleId: roles.find((r) => r.value === 'Backup.Administrator')!.id,
          },
        ],
      },
    ]);
    expect(s.env).toEqual({
      M365V_API_CLIENT_ID: 'app-1',
      M365V_API_AUDIENCE: 'app-1,api://11111111-2222-3333-4444-555555555555/m365-vault-api-dev',
    });
  });

  it('finds everything again on a second run: nothing created twice, the scope keeps its id', () => {
    const before = state();
    const scope = (before.apps[0].api as { oauth2PermissionScopes: Array<{ id: string }> }).oauth2PermissionScopes[0]
      .id;
    run();
    const after = state();
    expect(after.apps).toHaveLength(1);
    expect(after.sps).toHaveLength(1);
    expect(after.sps[0].assigned).toHaveLength(1);
    expect((after.apps[0].api as { oauth2PermissionScopes: Array<{ id: string }> }).oauth2PermissionScopes[0].id).toBe(
      scope,
    );
    const posts = after.calls.slice(before.calls.length).filter((c) => c.includes('POST'));
    expect(posts).toEqual([]);
  });

  it('leaves an audience already set alone and calls nothing', () => {
    const before = state().calls.length;
    expect(run({ M365V_API_AUDIENCE: 'my-app-id' })).toContain('using M365V_API_AUDIENCE=my-app-id');
    expect(state().calls).toHaveLength(before);
  });
});
