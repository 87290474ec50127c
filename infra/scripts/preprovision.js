// Before `azd provision` (azure.yaml hooks): the API's app registration in the deploying tenant, created once per azd
// environment and found again by name on every later run, so nothing is created twice. Tokens for the API carry its
// client id as audience (v2 tokens) or its Application ID URI, which takes the form Entra accepts under the default
// app instance property lock and URI policies: api://<tenant id>/<name>. App roles Backup.Reader and
// Backup.Administrator (api-app-roles.json, fixed ids), the delegated scope `access_as_user` for administrators'
// own tokens (authorization code + PKCE), and Backup.Administrator for the deploying user. The audience goes into
// the azd environment (M365V_API_AUDIENCE, M365V_API_CLIENT_ID) for main.parameters.json. Skipped when
// M365V_API_AUDIENCE is already set (this hook's earlier run, or an app registered by hand).
// Plain Node (no build step: it runs before one) over the Azure CLI, signed in with `az login`; Graph calls go
// through `az rest` with request bodies in files, so no shell quoting differs between sh and PowerShell.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const GRAPH = (process.env.M365V_GRAPH_ENDPOINT || 'https://graph.microsoft.com').replace(/\/$/, '') + '/v1.0';
const ROLES = JSON.parse(fs.readFileSync(path.join(__dirname, 'api-app-roles.json'), 'utf8'));
const SCOPE = 'access_as_user';
/** The Azure CLI's public client: pre-authorized for the scope, so `az account get-access-token --scope` works. */
const AZURE_CLI = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';
const windows = process.platform === 'win32';

function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', shell: windows, stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** A Graph request through `az rest` (its token, its cloud); the JSON answer, or null for an empty one. */
function graph(method, url, body) {
  const args = ['rest', '--method', method, '--url', `${GRAPH}${url}`];
  let file;
  if (body !== undefined) {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-')), 'body.json');
    fs.writeFileSync(file, JSON.stringify(body));
    args.push('--headers', 'Content-Type=application/json', '--body', `@${file}`);
  }
  try {
    const out = run('az', args);
    return out ? JSON.parse(out) : null;
  } finally {
    if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

const filter = (expr) => `$filter=${encodeURIComponent(expr)}`;

function main() {
  if (process.env.M365V_API_AUDIENCE) {
    console.log(`API app registration: using M365V_API_AUDIENCE=${process.env.M365V_API_AUDIENCE}`);
    return;
  }
  const envName = process.env.AZURE_ENV_NAME;
  if (!envName) throw new Error('AZURE_ENV_NAME is not set: run this through azd');
  const name = `m365-vault-api-${envName}`;
  const tenant = run('az', ['account', 'show', '--query', 'tenantId', '-o', 'tsv']);
  const uri = `api://${tenant}/${name}`;

  let app = graph('GET', `/applications?${filter(`displayName eq '${name}'`)}&$select=id,appId,api`).value[0];
  if (!app) {
    app = graph('POST', '/applications', { displayName: name, signInAudience: 'AzureADMyOrg', appRoles: ROLES });
    console.log(`API app registration created: ${name} (${app.appId})`);
  }
  const scopeId = (app.api?.oauth2PermissionScopes ?? []).find((s) => s.value === SCOPE)?.id ?? crypto.randomUUID();
  // Set again on every run, harmlessly: the URI, v2 tokens, the roles and the scope (same ids). The scope must exist
  // before a client can be pre-authorized for it, hence two writes.
  const scope = {
    id: scopeId,
    value: SCOPE,
    type: 'Admin',
    isEnabled: true,
    adminConsentDisplayName: 'Use the m365-vault API',
    adminConsentDescription:
      "Call the m365-vault API as the signed-in administrator; what is allowed follows the user's app roles.",
  };
  graph('PATCH', `/applications/${app.id}`, {
    identifierUris: [uri],
    appRoles: ROLES,
    api: {
      requestedAccessTokenVersion: 2,
      oauth2PermissionScopes: [scope],
    },
  });
  graph('PATCH', `/applications/${app.id}`, {
    api: {
      requestedAccessTokenVersion: 2,
      oauth2PermissionScopes: [scope],
      preAuthorizedApplications: [{ appId: AZURE_CLI, delegatedPermissionIds: [scopeId] }],
    },
  });
  const sp =
    graph('GET', `/servicePrincipals?${filter(`appId eq '${app.appId}'`)}&$select=id`).value[0] ??
    graph('POST', '/servicePrincipals', { appId: app.appId });

  let userId = '';
  try {
    userId = run('az', ['ad', 'signed-in-user', 'show', '--query', 'id', '-o', 'tsv']);
  } catch {
    // A service principal deploys (CI): it has no user to make an administrator.
  }
  if (userId) {
    const adminRole = ROLES.find((r) => r.value === 'Backup.Administrator').id;
    const assigned = graph('GET', `/servicePrincipals/${sp.id}/appRoleAssignedTo`).value.some(
      (a) => a.principalId === userId && a.appRoleId === adminRole,
    );
    if (!assigned) {
      graph('POST', `/servicePrincipals/${sp.id}/appRoleAssignedTo`, {
        principalId: userId,
        resourceId: sp.id,
        appRoleId: adminRole,
      });
      console.log('Backup.Administrator assigned to the signed-in user');
    }
  }
  run('azd', ['env', 'set', 'M365V_API_CLIENT_ID', app.appId]);
  run('azd', ['env', 'set', 'M365V_API_AUDIENCE', `${app.appId},${uri}`]);
  console.log(`API audience: ${app.appId},${uri}`);
}

try {
  main();
} catch (e) {
  console.error(`preprovision: ${e.message}`);
  process.exit(1);
}
