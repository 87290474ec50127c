import fs from 'node:fs';
import path from 'node:path';
import { jobInput } from '../../shared/inventory/schemas';

// Structural checks of the hardening options (no Bicep compiler runs here): WORM by default with a delete lock, audit
// logs into Log Analytics, optional private networking, optional Durable Task Scheduler backend.
const root = path.resolve(__dirname, '../../..');
const infra = path.join(root, 'infra');
const read = (f: string): string => fs.readFileSync(path.join(infra, f), 'utf8');

/** The text of a top-level declaration (`resource x …`, `module x …`, `var x …`) up to its closing brace. */
const block = (text: string, kind: 'resource' | 'module' | 'var', symbol: string): string => {
  const m = new RegExp(`^${kind} ${symbol} [^\\n]*\\n[\\s\\S]*?\\n\\}`, 'm').exec(text);
  expect({ kind, symbol, found: m !== null }).toEqual({ kind, symbol, found: true });
  return m![0];
};

describe('hardening options in the infrastructure templates', () => {
  const main = read('main.bicep');
  const storage = read('modules/storage.bicep');

  it('keeps backup content under version-level WORM by default, no longer than a default job keeps daily points', () => {
    const bicepDefault = Number(/^@minValue\(0\)\nparam immutabilityDays int = (\d+)$/m.exec(main)?.[1]);
    const azdDefault = Number(/"\$\{M365V_IMMUTABILITY_DAYS=(\d+)\}"/.exec(read('main.parameters.json'))?.[1]);
    expect(bicepDefault).toBeGreaterThan(0);
    expect(azdDefault).toBe(bicepDefault);
    // Longer than the shortest daily retention, pruned content would stay (and be billed) until its lock ends, and
    // preflight warns; a default job keeps daily points this long.
    const retention = jobInput.shape.retention.parse(undefined);
    expect(bicepDefault).toBeLessThanOrEqual(retention.keepDaily);
    // 0 (test deployments) still turns it off, and a locked policy is left alone.
    expect(storage).toMatch(
      /resource contentWorm '[^']+' = if \(immutabilityDays > 0 && !immutabilityPolicyLocked\) \{/,
    );
    expect(main).toMatch(/^param immutabilityPolicyLocked bool = false$/m);
    expect(block(main, 'module', 'storage')).toMatch(/immutabilityPolicyLocked: immutabilityPolicyLocked\n/);
  });

  it('locks the backup account against deletion whenever its content is immutable', () => {
    const lock = block(storage, 'resource', 'backupLock');
    expect(lock).toMatch(
      /^resource backupLock 'Microsoft\.Authorization\/locks@2020-05-01' = if \(immutabilityDays > 0\)/,
    );
    expect(lock).toMatch(/\n {2}scope: backup\n/);
    expect(lock).toMatch(/level: 'CanNotDelete'/);
    expect(block(storage, 'resource', 'backup')).toMatch(/^resource backup 'Microsoft\.Storage\/storageAccounts@/);
  });

  it('sends Key Vault audit events, backup blob writes and deletes, and catalog requests to the workspace', () => {
    expect(read('modules/monitoring.bicep')).toMatch(/^output workspaceId string = workspace\.id$/m);
    expect(block(main, 'module', 'diagnostics')).toMatch(/workspaceId: monitoring\.outputs\.workspaceId\n/);
    const diag = read('modules/diagnostics.bicep');
    const settings = [...diag.matchAll(/^resource (\w+) 'Microsoft\.Insights\/diagnosticSettings@[^']+' = \{/gm)];
    expect(settings.map((s) => s[1]).sort()).toEqual(['backupBlobAudit', 'cosmosAudit', 'vaultAudit']);
    for (const [, symbol] of settings)
      expect(block(diag, 'resource', symbol)).toMatch(/\n {4}workspaceId: workspaceId\n/);

    const vault = block(diag, 'resource', 'vaultAudit');
    expect(vault).toMatch(/\n {2}scope: vault\n/);
    expect(vault).toContain("{ category: 'AuditEvent', enabled: true }");

    // Scoped to the backup account's blob service, where Storage's blob logs are configured.
    expect(diag).toMatch(
      /^resource backupBlobs 'Microsoft\.Storage\/storageAccounts\/blobServices@[^']+' existing = \{\n {2}parent: backup\n {2}name: 'default'\n\}/m,
    );
    const blobs = block(diag, 'resource', 'backupBlobAudit');
    expect(blobs).toMatch(/\n {2}scope: backupBlobs\n/);
    expect(blobs).toContain("{ category: 'StorageWrite', enabled: true }");
    expect(blobs).toContain("{ category: 'StorageDelete', enabled: true }");
    expect(blobs).toContain("{ category: 'StorageRead', enabled: logBackupReads }");
    expect(diag).toMatch(/^param logBackupReads bool = false$/m);
    expect(main).toMatch(/^param logBackupReads bool = false$/m);

    const cosmos = block(diag, 'resource', 'cosmosAudit');
    expect(cosmos).toMatch(/\n {2}scope: cosmos\n/);
    expect(cosmos).toContain("{ category: 'DataPlaneRequests', enabled: true }");
    expect(cosmos).toContain("logAnalyticsDestinationType: 'Dedicated'");
  });

  it('puts the stores behind private endpoints, each with its private DNS zone, only when vnetEnabled', () => {
    expect(main).toMatch(/^param vnetEnabled bool = false$/m);
    expect(read('main.parameters.json')).toContain('"vnetEnabled": { "value": "${M365V_VNET_ENABLED=false}" }');
    expect(main).toMatch(/^module network 'modules\/network\.bicep' = if \(vnetEnabled\) \{$/m);
    const net = read('modules/network.bicep');
    expect(net).toMatch(
      /name: 'app'\n[\s\S]*?delegations: \[\{ name: '[\w-]+', properties: \{ serviceName: 'Microsoft\.App\/environments' \} \}\]/,
    );

    // Which zone each endpoint registers in: `zone` indexes the `zones` array.
    const zonesText = /^var zones = \[\n([\s\S]*?)\n\]/m.exec(net)![1];
    const defaults: Record<string, string> = {};
    for (const m of net.matchAll(/^param (\w+) string = '([^']+)'$/gm)) defaults[m[1]] = m[2];
    const zones = zonesText
      .split('\n')
      .map((l) => l.trim())
      .map((z) =>
        z.startsWith("'")
          ? z.slice(1, -1).replace('${environment().suffixes.storage}', 'core.windows.net')
          : defaults[z],
      );
    const endpoints = [...net.matchAll(/\{ name: '([\w-]+)', target: (\w+), groupId: '(\w+)', zone: (\d+) \}/g)].map(
      (m) => ({ target: m[2], groupId: m[3], zone: zones[Number(m[4])] }),
    );
    expect(endpoints).toEqual(
      expect.arrayContaining([
        { target: 'hostStorageId', groupId: 'blob', zone: 'privatelink.blob.core.windows.net' },
        { target: 'hostStorageId', groupId: 'queue', zone: 'privatelink.queue.core.windows.net' },
        { target: 'hostStorageId', groupId: 'table', zone: 'privatelink.table.core.windows.net' },
        { target: 'backupStorageId', groupId: 'blob', zone: 'privatelink.blob.core.windows.net' },
        { target: 'cosmosAccountId', groupId: 'Sql', zone: 'privatelink.documents.azure.com' },
        { target: 'keyVaultId', groupId: 'vault', zone: 'privatelink.vaultcore.azure.net' },
      ]),
    );
    expect(endpoints).toHaveLength(6);
    expect(block(net, 'resource', 'privateEndpoints')).toMatch(
      /\[for e in endpoints: \{[\s\S]*privateLinkServiceId: e\.target, groupIds: \[e\.groupId\]/,
    );
    expect(block(net, 'resource', 'zoneGroups')).toMatch(
      /parent: privateEndpoints\[i\][\s\S]*privateDnsZoneId: dnsZones\[e\.zone\]\.id/,
    );
    expect(block(net, 'resource', 'dnsLinks')).toMatch(
      /parent: dnsZones\[i\][\s\S]*virtualNetwork: \{ id: vnet\.id \}/,
    );
    const network = block(main, 'module', 'network');
    for (const p of [
      'hostStorageId: storage.outputs.hostAccountId',
      'backupStorageId: storage.outputs.backupAccountId',
      'cosmosAccountId: cosmos.outputs.id',
      'keyVaultId: keyVault.outputs.id',
    ])
      expect(network).toContain(p);

    // The app joins the delegated subnet only then.
    expect(block(main, 'module', 'functionApp')).toContain(
      "virtualNetworkSubnetId: vnetEnabled ? network.outputs.appSubnetId : ''",
    );
    expect(read('modules/function-app.bicep')).toContain(
      'virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId',
    );
  });

  it('turns public network access off on every store the private endpoints serve, and only with vnetEnabled', () => {
    const off = "publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'";
    // Both storage accounts take `common` (the backup account through union), which carries the switch.
    expect(block(storage, 'var', 'common')).toContain(off);
    expect(block(storage, 'resource', 'host')).toMatch(/\n {2}properties: common\n/);
    expect(block(storage, 'resource', 'backup')).toMatch(/\n {2}properties: union\(common, \{/);
    expect(read('modules/cosmos.bicep')).toContain(off);
    expect(read('modules/keyvault.bicep')).toContain(off);
    for (const m of ['storage', 'cosmos', 'keyVault'])
      expect(block(main, 'module', m)).toMatch(/vnetEnabled: vnetEnabled\b/);
    for (const f of ['storage', 'cosmos', 'keyvault'])
      expect(read(`modules/${f}.bicep`)).toMatch(/^param vnetEnabled bool = false$/m);
  });

  it('switches Durable Functions to a Durable Task Scheduler only when durableBackend is dts', () => {
    expect(main).toMatch(/^@allowed\(\['azureStorage', 'dts'\]\)\nparam durableBackend string = 'azureStorage'$/m);
    expect(main).toMatch(/^module durableTask 'modules\/durable-task\.bicep' = if \(durableBackend == 'dts'\) \{$/m);
    const dts = read('modules/durable-task.bicep');
    expect(dts).toMatch(/^resource scheduler 'Microsoft\.DurableTask\/schedulers@2026-02-01' = \{/m);
    expect(block(dts, 'resource', 'taskHub')).toMatch(
      /'Microsoft\.DurableTask\/schedulers\/taskHubs@2026-02-01' = \{\n {2}parent: scheduler\n {2}name: taskHubName\n/,
    );
    // Durable Task Data Contributor, on the scheduler, for the app's identity.
    expect(dts).toContain("var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'");
    const role = block(dts, 'resource', 'dataContributor');
    expect(role).toMatch(/\n {2}scope: scheduler\n/);
    expect(role).toContain(
      "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)",
    );
    expect(dts).toContain("{ id: appPrincipalId, type: 'ServicePrincipal' }");
    const module = block(main, 'module', 'durableTask');
    expect(module).toContain('appPrincipalId: identity.outputs.principalId');
    expect(module).toContain('taskHubName: taskHubName');

    // The settings that switch the provider without touching host.json, and only under DTS.
    const settings = /^var durableSettings = durableBackend == 'dts'\n\s+\? \{\n([\s\S]*?)\n\s+\}\n\s+: \{\}$/m.exec(
      main,
    );
    expect(settings).not.toBeNull();
    const pairs = Object.fromEntries([...settings![1].matchAll(/^\s+(\w+): '([^']*)'$/gm)].map((m) => [m[1], m[2]]));
    expect(pairs).toEqual({
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged',
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName:
        'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING:
        'Endpoint=${durableTask.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}',
    });
    expect(block(main, 'module', 'functionApp')).toMatch(
      /appSettings: union\(durableSettings, \{\n\s+TASKHUB_NAME: taskHubName\n/,
    );

    // The overrides name paths host.json has (AzureFunctionsJobHost__a__b = a.b), whose task hub is TASKHUB_NAME,
    // which is the scheduler's task hub; host.json itself keeps the Azure Storage provider (local stack, default).
    const host = JSON.parse(fs.readFileSync(path.join(root, 'host.json'), 'utf8')) as Record<string, unknown>;
    const at = (p: string[]): unknown =>
      p.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], host);
    for (const name of Object.keys(pairs).filter((k) => k.startsWith('AzureFunctionsJobHost__'))) {
      const p = name.split('__').slice(1);
      expect({ name, parent: typeof at(p.slice(0, -1)) }).toEqual({ name, parent: 'object' });
    }
    expect(at(['extensions', 'durableTask', 'storageProvider', 'type'])).toBe('AzureStorage');
    expect(at(['extensions', 'durableTask', 'hubName'])).toBe('%TASKHUB_NAME%');
    expect(main).toMatch(/^var taskHubName = 'm365vault'$/m);
  });
});
