import fs from 'node:fs';
import path from 'node:path';
import layout from '../../shared/catalog/containers.json';
import { settingsSchema } from '../../shared/config/settings';

const root = path.resolve(__dirname, '../../..');
const infra = path.join(root, 'infra');
const read = (f: string): string => fs.readFileSync(path.join(infra, f), 'utf8');
const bicepFiles = ['main.bicep', ...fs.readdirSync(path.join(infra, 'modules')).map((f) => `modules/${f}`)];
const all = bicepFiles.map(read).join('\n');

describe('infrastructure templates (structural checks; no Bicep compiler runs here)', () => {
  it('references only modules that exist', () => {
    for (const f of bicepFiles) {
      for (const m of read(f).matchAll(/^module \w+ '([^']+)'/gm))
        expect(fs.existsSync(path.join(infra, path.dirname(f), m[1]))).toBe(true);
    }
  });

  it('declares every parameter main.parameters.json sets, and passes every required module parameter', () => {
    const declared = new Set([...read('main.bicep').matchAll(/^param (\w+)/gm)].map((m) => m[1]));
    const given = Object.keys(
      (JSON.parse(read('main.parameters.json')) as { parameters: Record<string, unknown> }).parameters,
    );
    expect(given.filter((p) => !declared.has(p))).toEqual([]);
    const main = read('main.bicep');
    // Conditional modules (`= if (vnetEnabled) {`) are checked too: their parameters matter when the switch is on.
    const modules = [...main.matchAll(/^module (\w+) '([^']+)' = (?:if \([^\n]*\) )?\{[\s\S]*?\n\}/gm)];
    expect(modules.length).toBe([...main.matchAll(/^module /gm)].length);
    for (const m of modules) {
      const body = m[0];
      const required = [...read(m[2]).matchAll(/^param (\w+) [\w.]+(?! =)\s*$/gm)].map((p) => p[1]);
      for (const p of required)
        expect({ module: m[1], param: p, passed: new RegExp(`\\b${p}:`).test(body) }).toMatchObject({ passed: true });
    }
  });

  it('uses no keys, connection strings or local auth anywhere', () => {
    // What reading or passing a key looks like in Bicep: key listings, connection strings, Cosmos master keys.
    const keyUse = [/listKeys\(/i, /listConnectionStrings\(/i, /\bAccountKey\b/i, /EndpointsProtocol/i, /MasterKey/i];
    for (const pattern of keyUse)
      expect({ pattern: String(pattern), found: pattern.test(all) }).toEqual({
        pattern: String(pattern),
        found: false,
      });
    expect(read('modules/storage.bicep')).toMatch(/allowSharedKeyAccess: false/);
    expect(read('modules/cosmos.bicep')).toMatch(/disableLocalAuth: true/);
    expect(read('modules/monitoring.bicep')).toMatch(/DisableLocalAuth: true/);
    expect(read('modules/keyvault.bicep')).toMatch(/enableRbacAuthorization: true/);
  });

  it('sets every setting the product reads in Azure', () => {
    const needed = [
      'M365V_STORAGE_ACCOUNT_URL',
      'M365V_COSMOS_ENDPOINT',
      'M365V_COSMOS_DATABASE',
      'M365V_KEYVAULT_URL',
      'M365V_GRAPH_BASE_URL',
      'M365V_AUTHORITY_HOST',
      'M365V_API_TENANT_ID',
      'M365V_API_AUDIENCE',
      'M365V_CONTENT_IMMUTABILITY_DAYS',
      'AZURE_CLIENT_ID',
      'TASKHUB_NAME',
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
      'AzureWebJobsStorage__credential',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
    ];
    for (const s of needed)
      expect({ setting: s, set: new RegExp(`\\b${s}:`).test(all) }).toEqual({ setting: s, set: true });
    // Keys exist only for the local emulators: Azure must not be configured with them.
    const emulatorOnly = Object.keys(settingsSchema.shape).filter((k) =>
      /_KEY$|CONNECTION_STRING|CA_CERT|LOCAL_SECRETS/.test(k),
    );
    for (const s of emulatorOnly) expect(all).not.toContain(`${s}:`);
    // The account name form assumes the public cloud's endpoint suffix: service URIs work in national clouds too.
    expect(all).not.toContain('AzureWebJobsStorage__accountName');
    expect(read('modules/storage.bicep')).toContain(
      'output hostQueueEndpoint string = host.properties.primaryEndpoints.queue',
    );
  });

  it('lets the deploying user upload the Microsoft 365 credentials, and the app only read them', () => {
    const rbac = read('modules/rbac.bicep');
    expect(rbac).toContain("keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'");
    expect(rbac).toContain("keyVaultCertificatesOfficer: 'a4417e6f-fecd-4de8-b567-7b0420556985'");
    expect(rbac).toMatch(
      /map\(\[roles\.keyVaultSecretsUser, roles\.keyVaultCertificateUser\], r => \{ principal: principals\[0\], role: r \}\)/,
    );
    expect(rbac).toMatch(
      /empty\(userPrincipalId\) \? \[\] : map\(\[roles\.keyVaultSecretsOfficer, roles\.keyVaultCertificatesOfficer\], r => \{ principal: principals\[1\], role: r \}\)/,
    );
    expect(rbac).toMatch(/resource vaultRoles [^\n]*\[for pair in vaultPairs: \{[\s\S]*?scope: vault\n/);
  });

  it('deploys only where Flex Consumption runs', () => {
    const main = read('main.bicep');
    const allowed =
      /@allowed\(\[([\s\S]*?)\]\)\n@metadata\(\{ azd: \{ type: 'location' \} \}\)\nparam location string/.exec(main);
    expect(allowed).not.toBeNull();
    const regions = [...allowed![1].matchAll(/'([a-z0-9]+)'/g)].map((m) => m[1]);
    expect(regions).toEqual(expect.arrayContaining(['eastus', 'westeurope', 'swedencentral', 'australiaeast']));
    expect(regions.length).toBeGreaterThan(25);
  });

  it('lets the app extend, under immutability, the locks of content in use, and nothing more', () => {
    const rbac = read('modules/rbac.bicep');
    expect(rbac).toMatch(
      /resource lockExtender 'Microsoft\.Authorization\/roleDefinitions@[^']+' = if \(immutabilityDays > 0\)/,
    );
    expect(rbac).toContain(
      "dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action']",
    );
    expect(rbac).toMatch(/roleDefinitionId: lockExtender\.id, principalId: appPrincipalId/);
    expect(read('main.bicep')).toMatch(/rbac.bicep'[\s\S]*immutabilityDays: immutabilityDays/);
  });

  it('creates the catalog containers from containers.json, not from a copy', () => {
    expect(read('main.bicep')).toContain("loadJsonContent('../shared/catalog/containers.json')");
    for (const c of layout.containers) expect(all).not.toContain(`'${c.name}'`);
  });

  it('lets the app sign user delegation SAS links on the backup account (export downloads)', () => {
    const rbac = read('modules/rbac.bicep');
    // Storage Blob Delegator (generateUserDelegationKey) and Data Contributor (read the blob the link names), both
    // at the storage account: the key is an account-level action.
    expect(rbac).toContain("blobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'");
    expect(rbac).toMatch(
      /resource backupRoles [^\n]*\[roles\.blobDataContributor, roles\.blobDelegator\][\s\S]*?scope: backupStorage\n/,
    );
  });

  it('declares the function app service for azd', () => {
    const yaml = fs.readFileSync(path.join(root, 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/services:\s*\n\s+api:\s*\n(\s+\w+: .*\n)*\s+host: function/);
    // Node 22 in Azure (20 ended 2026-04-30); built remotely from the sources .funcignore lets through.
    const app = read('modules/function-app.bicep');
    expect(app).toMatch(/runtime: \{ name: 'node', version: nodeVersion \}/);
    expect(app).toMatch(/@allowed\(\['20', '22'\]\)\nparam nodeVersion string = '22'/);
    expect(yaml).toMatch(/host: function\n\s+remoteBuild: true/);
    const ignored = fs.readFileSync(path.join(root, '.funcignore'), 'utf8').split('\n');
    for (const dir of ['node_modules', 'dist', 'test', 'local', 'bench', 'infra', '.data'])
      expect({ dir, ignored: ignored.includes(dir) }).toEqual({ dir, ignored: true });
    expect(read('main.bicep')).toContain("'azd-service-name': 'api'");
  });
});
