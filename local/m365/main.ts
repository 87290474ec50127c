// `npm run emulator`: a seeded tenant on HTTPS, with its endpoints and demo credentials printed (derived from the
// seed; they are not secrets). Options: --seed contoso --profile demo|bench --port N --cert-dir DIR --no-service-time
// (the bench profile answers with Graph's latencies unless told not to; see README "Service time").
import { startM365Emulator } from './server';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const profile = value('--profile') ?? 'demo';
  if (profile !== 'demo' && profile !== 'bench') throw new Error(`--profile must be demo or bench, not ${profile}`);
  const em = await startM365Emulator({
    port: Number(value('--port') ?? 0),
    seed: value('--seed') ?? 'contoso',
    profile,
    ...(value('--cert-dir') ? { certDir: value('--cert-dir')! } : {}),
    ...(args.includes('--no-service-time') ? { serviceTime: { enabled: false } } : {}),
  });
  const t = em.tenant();
  const users = [...t.directory.users.all()];
  console.log(`[m365] listening on ${em.url}`);
  console.log(`  tenant        ${t.id} (${t.domain}), profile ${profile}`);
  console.log(
    `  service time  ${em.runtime.serviceTime.settings.enabled ? 'on' : 'off'}   (control API: /_emulator/service-time)`,
  );
  console.log(`  graph         ${em.graphBaseUrl}`);
  console.log(
    `  token         ${em.authorityHost}/${t.id}/oauth2/v2.0/token   (scope https://graph.microsoft.com/.default)`,
  );
  console.log(`  trust (CA)    ${em.caCertFile}`);
  console.log(`  control API   ${em.url}/_emulator/tenant   (see local/m365/README.md)`);
  for (const a of em.tenants[0].apps)
    console.log(`  app           ${a.displayName}: client id ${a.clientId}, secret ${a.clientSecret ?? '(none)'}`);
  console.log(
    `  users         ${users.length} (${users.filter((u) => u.licensed).length} licensed, ${users.filter((u) => u.mailEnabled).length} mailboxes), ${[...t.directory.groups.all()].length} groups`,
  );
  for (const u of users.slice(0, 12))
    console.log(
      `                ${u.userPrincipalName} [${u.kind}${u.mailEnabled ? ', mailbox' : ''}${u.oneDriveProvisioned ? ', OneDrive' : ''}]`,
    );
  if (users.length > 12) console.log(`                … ${users.length - 12} more`);
  const lists = t.sites.all().reduce((n, site) => n + t.sites.listsOf(site).length, 0);
  console.log(
    `  SharePoint    ${t.sites.all().length} sites, ${lists} lists and libraries   (control API: GET /_emulator/sites)`,
  );
  console.log(
    `  Teams         ${t.teams.all().length} teams, ${t.teams.all().reduce((n, team) => n + [...team.channels.all()].length, 0)} channels   (control API: GET /_emulator/teams)`,
  );
  const stop = (): void => void em.stop().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  console.error(`[m365] failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
