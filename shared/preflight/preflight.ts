// Runs the preflight of one Microsoft 365 account, in order: ids (no network), the credential read from the secret
// store and checked (no network to Microsoft), sign-in, permissions, then reachability sampled through Graph. A step that cannot run because an earlier one
// failed is reported as skipped, so the report always lists every step.
import { secretAlarm } from '../domain/alarms';
import type { AuthorityOptions, Credential, TokenProviderOptions } from '../graph/token-provider';
import type { AccountInput } from '../inventory/schemas';
import { checkCertificate, checkClientId, checkSecretValue, checkTenantId } from './input-checks';
import type { GraphSession } from '../graph/graph-session';
import { permissionSteps } from './permission-steps';
import { reachabilitySteps } from './reachability';
import { overallStatus, PreflightReport, PreflightStep, step } from './report';
import { signIn } from './sign-in';
import { splitPem } from '../graph/session-factory';
import { SecretUnavailable } from '../secrets/secret-source';

export interface PreflightInput {
  account: Pick<AccountInput, 'tenantId' | 'clientId' | 'credential'> & { id?: string; displayName?: string };
  /** Reads a secret by name (Key Vault in Azure, the local secrets file). */
  readSecret(name: string): Promise<string>;
  authorityHost: string;
  transport: TokenProviderOptions['transport'];
  authority?: AuthorityOptions;
  /** The certificate thumbprint the app registration shows, when the caller knows it. */
  thumbprint?: string;
  /** Whether a job of the account sends e-mail run reports (then Mail.Send is needed). */
  jobsSendReports: boolean;
  /** The account's Graph session, for sampling reachability once sign-in works; without it, those steps are left out. */
  graph?: () => Promise<Pick<GraphSession, 'get'>>;
  now(): Date;
}

const skipped = (id: string, title: string, why: string): PreflightStep => step(id, title, 'skipped', { cause: why });

export async function runPreflight(input: PreflightInput): Promise<PreflightReport> {
  const startedAt = input.now();
  const { account } = input;
  const cred = account.credential;
  const secretName = cred.type === 'secret' ? cred.secretName : cred.certificateName;
  const steps: PreflightStep[] = [checkTenantId(account.tenantId), checkClientId(account.clientId, account.tenantId)];
  const failed = (): boolean => steps.some((s) => s.status === 'failed');

  let credential: Credential | undefined;
  const readTitle = `Read the ${cred.type === 'secret' ? 'client secret' : 'certificate'} '${secretName}' from the secret store`;
  if (failed()) steps.push(skipped('credential.read', readTitle, 'The account ids are not valid.'));
  else {
    let value: string | undefined;
    try {
      value = await input.readSecret(secretName);
      steps.push(step('credential.read', readTitle, 'passed'));
    } catch (e) {
      const reason = e instanceof SecretUnavailable ? e.reason : (e as Error).message;
      const alarm = secretAlarm(secretName, reason);
      steps.push(
        step('credential.read', readTitle, 'failed', { code: alarm.code, cause: alarm.message, fix: alarm.fix }),
      );
    }
    if (value !== undefined) {
      if (cred.type === 'secret') {
        steps.push(checkSecretValue(value, secretName));
        credential = { clientSecret: value };
      } else {
        steps.push(...checkCertificate(value, secretName, input.now(), input.thumbprint));
        if (!failed()) credential = splitPem(value);
      }
    }
  }

  const signInTitle = 'Sign in to Microsoft Entra ID (app-only token for Microsoft Graph)';
  let roles: string[] | undefined;
  if (failed() || !credential)
    steps.push(skipped('auth.signIn', signInTitle, 'An earlier step failed; fix it first (nothing was sent).'));
  else {
    const result = await signIn(
      {
        authorityHost: input.authorityHost,
        tenantId: account.tenantId,
        clientId: account.clientId,
        credential,
        transport: input.transport,
        ...(input.authority ? { authority: input.authority } : {}),
      },
      () => input.now(),
    );
    steps.push(...result.steps);
    roles = result.roles;
  }

  if (roles) steps.push(...permissionSteps(roles, input.jobsSendReports));
  else steps.push(skipped('permissions', 'Application permissions per workload', 'No token to read them from.'));

  if (input.graph) {
    if (roles) steps.push(...(await reachabilitySteps(await input.graph(), roles, () => input.now().getTime())));
    else steps.push(skipped('reach', 'Reachability of users, mailboxes, OneDrive, sites and teams', 'Not signed in.'));
  }

  return {
    ...(account.id ? { accountId: account.id } : {}),
    ...(account.displayName ? { displayName: account.displayName } : {}),
    tenantId: account.tenantId,
    clientId: account.clientId,
    credentialType: cred.type,
    startedAt: startedAt.toISOString(),
    completedAt: input.now().toISOString(),
    status: overallStatus(steps),
    steps,
  };
}
