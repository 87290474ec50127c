// Turns a failure into an alarm an administrator can act on at 3 a.m.: what failed, why, and how to fix it.
// Pure: callers pass what they observed (HTTP status, service error code, the operation, the token's roles).
import { GRAPH_OPERATIONS, GraphOperation, missingPermission } from './graph-permissions';

export type Severity = 'error' | 'warning' | 'info';

export type AlarmCode =
  | 'graph.permissionMissing'
  | 'graph.accessDenied'
  | 'mailbox.notLicensed'
  | 'onedrive.inaccessible'
  | 'site.locked'
  | 'site.readOnly'
  | 'graph.throttled'
  | 'graph.unavailable'
  | 'graph.itemGone'
  | 'graph.resyncRequired'
  | 'item.skipped'
  | 'item.skippedMore'
  | 'secret.unavailable'
  | 'run.failed'
  | 'run.terminated'
  | 'item.busy'
  | 'auth.unknownTenant'
  | 'auth.unknownApplication'
  | 'auth.badSecret'
  | 'auth.secretExpired'
  | 'auth.badCertificate'
  | 'auth.missingCredential'
  | 'auth.clockSkew'
  | 'auth.blockedByPolicy'
  | 'auth.applicationDisabled'
  | 'auth.wrongApplicationType'
  | 'auth.failed'
  | 'storage.quotaExceeded'
  | 'storage.immutable'
  | 'storage.forbidden'
  | 'storage.unavailable'
  | 'job.itemNotFound'
  | 'notify.webhookFailed'
  | 'notify.reportNotSent'
  | 'unexpected';

/** Alarms an administrator fixes in the account's configuration (credential, sign-in, permissions), not in the tenant. */
export const isConfigurationAlarm = (code: AlarmCode): boolean =>
  code.startsWith('auth.') || code === 'secret.unavailable' || code === 'graph.permissionMissing';

export interface Subject {
  kind: 'tenant' | 'mailbox' | 'onedrive' | 'site' | 'groupMailbox' | 'team' | 'repository';
  name: string;
  url?: string;
}

export interface Alarm {
  code: AlarmCode;
  severity: Severity;
  /** Whether retrying later (next run) may succeed without anyone changing anything. */
  transient: boolean;
  message: string;
  fix: string;
  subject?: Subject;
  operation?: string;
  permission?: string;
  retryAfterSeconds?: number;
  requestId?: string;
}

export interface GraphFailure {
  status: number;
  code?: string;
  innerCode?: string;
  retryAfterSeconds?: number;
  requestId?: string;
  operation: GraphOperation;
  subject?: Subject;
  grantedRoles?: readonly string[];
}

const named = (s: Subject | undefined): string => (s ? `${s.kind} '${s.name}'` : 'the tenant');
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** "the site https://… for the site 'Finance'", as Microsoft 365 backup alarms name a blocked site. */
const siteNamed = (s: Subject | undefined): string =>
  s?.url ? `the site ${s.url} for the ${s.kind} '${s.name}'` : named(s);

/** The tenant's SharePoint admin URL from a site's (contoso.sharepoint.com, contoso-my.sharepoint.com → contoso-admin). */
function adminUrl(siteUrl: string | undefined): string {
  const host = /^https:\/\/([a-z0-9-]+?)(?:-my)?\.sharepoint\.com(?:[/?#]|$)/i.exec(siteUrl ?? '')?.[1];
  return `https://${host ?? '<your-tenant>'}-admin.sharepoint.com`;
}

/**
 * How a SharePoint or Global Administrator unlocks (or reactivates) a site: the SharePoint admin center has no button
 * for the lock state, so the steps are the SharePoint Online Management Shell's, with the site's own URL filled in.
 */
function unlockSteps(siteUrl: string | undefined, lockState: 'NoAccess' | 'ReadOnly'): string {
  const url = siteUrl ?? '<SiteURL>';
  return [
    'A SharePoint Administrator or Global Administrator unlocks it in the SharePoint Online Management Shell (the admin center has no setting for this):',
    '1. Once, in an elevated PowerShell: Install-Module -Name Microsoft.Online.SharePoint.PowerShell -Force (confirm if asked to trust PSGallery).',
    `2. Connect-SPOService -Url "${adminUrl(siteUrl)}" and sign in with the admin account.`,
    `3. Get-SPOSite -Identity "${url}" | Select-Object Url, LockState, ArchiveStatus`,
    `4. Set-SPOSite -Identity "${url}" -LockState Unlock, then run step 3 again: LockState is now Unlock. An archived site is reactivated instead with Set-SPOSiteArchiveState -Identity "${url}" -ArchiveState Active (after 7 days archived this is charged and takes time).`,
    '5. Re-run the backup job (or the restore).',
    `Several sites at once: Get-SPOSite -Filter {LockState -eq "${lockState}"} | Set-SPOSite -LockState Unlock. If a site-closure (lifecycle) policy locked the site, Unlock does not work: reopen it through that policy's tooling, then re-run the job.`,
  ].join(' ');
}
const eq = (a: string | undefined, b: string): boolean => (a ?? '').toLowerCase() === b.toLowerCase();

export function classifyGraphFailure(f: GraphFailure): Alarm {
  const op = GRAPH_OPERATIONS[f.operation];
  const base = { subject: f.subject, operation: f.operation, requestId: f.requestId };
  const who = named(f.subject);

  if (f.status === 429 || f.status === 503 || f.status === 504 || f.status === 509) {
    const throttled = f.status === 429 || eq(f.code, 'TooManyRequests') || eq(f.code, 'activityLimitReached');
    return {
      ...base,
      code: throttled ? 'graph.throttled' : 'graph.unavailable',
      severity: 'warning',
      transient: true,
      retryAfterSeconds: f.retryAfterSeconds,
      message: throttled
        ? `Microsoft Graph throttled requests to ${who}${f.retryAfterSeconds ? ` for ${f.retryAfterSeconds} s` : ''} while trying to ${op.action}.`
        : `Microsoft Graph was unavailable (HTTP ${f.status}) while trying to ${op.action} for ${who}.`,
      fix: throttled
        ? 'No action needed: the job waits as Microsoft asks and resumes. If it recurs daily, lower the job concurrency or move the schedule away from business hours.'
        : 'No action needed if it clears: the job retries. If it persists, check the Microsoft 365 service health dashboard.',
    };
  }
  if (f.status === 423 || (f.status === 403 && eq(f.code, 'notAllowed'))) {
    return {
      ...base,
      code: 'site.locked',
      severity: 'error',
      transient: false,
      message: `Access to ${siteNamed(f.subject)} has been blocked (its lock state is NoAccess, or it is archived), so the product cannot ${op.action}. Please contact your Microsoft 365 administrator to resolve this problem.`,
      fix: unlockSteps(f.subject?.url, 'NoAccess'),
    };
  }
  if (eq(f.code, 'serviceReadOnly') || eq(f.innerCode, 'serviceReadOnly')) {
    return {
      ...base,
      code: 'site.readOnly',
      severity: 'error',
      transient: false,
      message: `${capital(siteNamed(f.subject))} is read-only (its lock state is ReadOnly), so the product cannot ${op.action}. Backups still read it; restoring into it waits for an administrator to unlock it.`,
      fix: `${unlockSteps(f.subject?.url, 'ReadOnly')} Or restore to another location meanwhile.`,
    };
  }
  if (eq(f.code, 'MailboxNotEnabledForRESTAPI') || eq(f.code, 'MailboxNotSupportedForRESTAPI')) {
    return {
      ...base,
      code: 'mailbox.notLicensed',
      severity: 'warning',
      transient: false,
      message: `${who} has no Exchange Online mailbox the product can read: it is unlicensed, inactive, soft-deleted or hosted on-premises.`,
      fix: 'Assign an Exchange Online licence if the mailbox should be protected, or remove it from the job. Shared mailboxes need no licence but must exist in Exchange Online.',
    };
  }
  if (
    f.operation === 'files.read' &&
    f.subject?.kind === 'onedrive' &&
    (f.status === 404 || eq(f.code, 'ResourceNotFound'))
  ) {
    return {
      ...base,
      code: 'onedrive.inaccessible',
      severity: 'warning',
      transient: false,
      message: `The ${f.subject.name} OneDrive is inaccessible. Make sure the OneDrive is available. If it was deleted, edit the job and remove this OneDrive.`,
      fix: 'Check in the Microsoft 365 admin center that the user has a OneDrive licence and that the OneDrive was provisioned (the user signed in once) and not deleted.',
    };
  }
  if (f.status === 401 || f.status === 403) {
    const missing = f.grantedRoles ? missingPermission(f.operation, f.grantedRoles) : op.anyOf[0];
    if (missing) {
      return {
        ...base,
        code: 'graph.permissionMissing',
        severity: 'error',
        transient: false,
        permission: missing,
        message: `Microsoft Graph denied the request to ${op.action} for ${who}: the application lacks the ${missing} permission.`,
        fix: `In Microsoft Entra admin center → App registrations → the backup app → API permissions, add the Microsoft Graph application permission ${missing} and grant admin consent. Tokens pick it up within an hour.`,
      };
    }
    return {
      ...base,
      code: 'graph.accessDenied',
      severity: 'error',
      transient: false,
      message: `Microsoft Graph denied the request to ${op.action} for ${who} although the application holds ${op.anyOf.find((p) => f.grantedRoles?.includes(p))}.`,
      fix: 'An Exchange application access policy (New-ApplicationAccessPolicy / RBAC for Applications) or a Conditional Access policy excludes this mailbox or site from the app. Add it to the allowed scope, then re-run the job.',
    };
  }
  if (f.status === 410 || eq(f.code, 'syncStateNotFound') || eq(f.code, 'resyncRequired')) {
    return {
      ...base,
      code: 'graph.resyncRequired',
      severity: 'info',
      transient: true,
      message: `Microsoft Graph expired the change-tracking token of ${who}; the container is being re-synchronised in full.`,
      fix: 'No action needed: already-stored content is not stored again.',
    };
  }
  if (f.status === 404) {
    return {
      ...base,
      code: 'graph.itemGone',
      severity: 'info',
      transient: false,
      message: `A folder or item of ${who} was deleted or moved while it was being backed up.`,
      fix: 'No action needed: the next run records it as deleted (or under its new folder).',
    };
  }
  return {
    ...base,
    code: 'unexpected',
    severity: 'error',
    transient: f.status >= 500,
    message: `Microsoft Graph answered HTTP ${f.status}${f.code ? ` (${f.code})` : ''} while trying to ${op.action} for ${who}.`,
    fix:
      f.status >= 500
        ? 'Usually transient: the next run retries.'
        : 'Check the request id in Application Insights and report it if it persists.',
  };
}

export interface SkippedItemFacts {
  name: string;
  code: string;
  reason: string;
  transient: boolean;
  requestId?: string;
}

/** A large file whose download was still under way when its run ended (it goes on from there next run). */
export const STILL_BACKING_UP = 'stillBackingUp';
/** A large file that kept starting over because it changed while it downloaded: left to the next run. */
export const CHANGED_WHILE_DOWNLOADING = 'changedWhileDownloading';

/** An item one run could not read: named, with the cause, and what keeps it safe meanwhile. */
export function skippedItemAlarm(item: SkippedItemFacts, subject?: Subject): Alarm {
  const fix =
    item.code === 'malwareDetected'
      ? 'Review the file: a SharePoint administrator can inspect it with Get-SPOMalwareFile -FileUri "<file URL>". Once it is cleaned or released, the next run backs it up.'
      : item.code === STILL_BACKING_UP
        ? 'No action needed: the next run continues its download where this run stopped. If a backup window keeps ending first, widen it.'
        : item.code === CHANGED_WHILE_DOWNLOADING
          ? 'No action needed if the file settles: the next run goes on with it. A file rewritten all the time (a database, a mailbox archive in use) is better closed during the backup window or excluded from the job.'
          : item.transient
            ? 'No action needed: the next run tries it again. If it is skipped run after run, look its request id up in Application Insights and open the item in Outlook or OneDrive: it may be damaged.'
            : 'The next run tries it again. If it keeps failing, open the item in Outlook or OneDrive: a damaged or blocked item can be saved again as a copy, which is then backed up.';
  return {
    code: 'item.skipped',
    severity: 'warning',
    transient: item.transient,
    subject,
    ...(item.requestId ? { requestId: item.requestId } : {}),
    message: `'${item.name}' in ${named(subject)} was not backed up: ${item.reason}. Its previous backed-up version, if any, stays in the recovery point.`,
    fix,
  };
}

/** Past the first few, skipped items are counted in one alarm; the recovery point lists every one. */
export function moreSkippedAlarm(more: number, subject?: Subject): Alarm {
  return {
    code: 'item.skippedMore',
    severity: 'warning',
    transient: true,
    subject,
    message: `${more} more items in ${named(subject)} were not backed up; the recovery point lists each with its reason.`,
    fix: "The next run tries them again. See the recovery point's skipped list for what each needs.",
  };
}

const AADSTS_ALARMS: Record<string, { code: AlarmCode; message: string; fix: string }> = {
  '90002': {
    code: 'auth.unknownTenant',
    message: 'Microsoft Entra ID does not know the tenant id of this Microsoft 365 account.',
    fix: "Check the account's tenant id (a GUID or the tenant's .onmicrosoft.com domain) in the account settings.",
  },
  '700016': {
    code: 'auth.unknownApplication',
    message: 'The client id of this Microsoft 365 account is not an application registered or consented in the tenant.',
    fix: "Copy the Application (client) ID from the app registration's Overview page into the account settings (and the Directory (tenant) ID of that same tenant), and make sure an administrator consented to the app in this tenant. If the app was registered in the last few minutes, Entra ID may not have propagated it yet: wait a few minutes and try again. If it was deleted, register it again.",
  },
  '7000215': {
    code: 'auth.badSecret',
    message: 'Microsoft Entra ID rejected the client secret of this Microsoft 365 account.',
    fix: "Store the secret's Value (not its Secret ID) again; create a new secret under Certificates & secrets if the value is lost.",
  },
  '7000222': {
    code: 'auth.secretExpired',
    message: 'The client secret of this Microsoft 365 account has expired.',
    fix: "Create a new client secret under the app registration's Certificates & secrets and store its value; consider a certificate instead.",
  },
  '700027': {
    code: 'auth.badCertificate',
    message: 'Microsoft Entra ID could not verify the certificate of this Microsoft 365 account.',
    fix: "Upload the certificate (public part) to the app registration's Certificates & secrets and store the matching private key; check it has not expired.",
  },
  '7000218': {
    code: 'auth.missingCredential',
    message: 'No client secret or certificate was sent for this Microsoft 365 account.',
    fix: 'Configure a client secret or certificate for the account.',
  },
  // The client assertion's nbf/exp, set from this machine's clock, is outside Entra ID's window.
  '700024': {
    code: 'auth.clockSkew',
    message:
      "Microsoft Entra ID refused the certificate sign-in because it is not within its valid time range: this machine's clock is off.",
    fix: "Synchronise the clock of the machine running the product with a time server (Azure's hosts are; check a local or self-hosted one), then try again.",
  },
  '53003': {
    code: 'auth.blockedByPolicy',
    message: 'A Conditional Access policy for workload identities blocked the sign-in of this Microsoft 365 account.',
    fix: "In Microsoft Entra admin center → Sign-in logs → Service principal sign-ins, open the failed sign-in to see the policy; exclude this application from it or allow the locations the product runs from (the function app's outbound addresses).",
  },
  '7000112': {
    code: 'auth.applicationDisabled',
    message: 'The application of this Microsoft 365 account is disabled in the tenant.',
    fix: "In Microsoft Entra admin center → Enterprise applications → the app → Properties, set 'Enabled for users to sign in' to Yes.",
  },
  '700025': {
    code: 'auth.wrongApplicationType',
    message:
      'The wrong application type (public or confidential) is being used with this authentication flow: the app registration is a public client, which cannot use a secret or certificate.',
    fix: "Use an app registration of type Web (confidential client): under Authentication, set 'Allow public client flows' to No and add the secret or certificate under Certificates & secrets.",
  },
};

/** Classifies a token-endpoint failure by its AADSTS number (the HTTP status varies; the number does not). */
export function classifyAuthFailure(description: string, subject?: Subject): Alarm {
  const number = /AADSTS(\d+)/.exec(description)?.[1];
  const known = number ? AADSTS_ALARMS[number] : undefined;
  return {
    code: known?.code ?? 'auth.failed',
    severity: 'error',
    transient: false,
    subject,
    message: known?.message ?? `Signing in to Microsoft Entra ID failed${number ? ` (AADSTS${number})` : ''}.`,
    fix:
      known?.fix ??
      "Check the account's tenant id, client id and credential; look the AADSTS code up in Microsoft's reference.",
  };
}

/** The account's credential could not be read from the secret store (Key Vault in Azure, a file locally). */
export function secretAlarm(secretName: string, reason: string, subject?: Subject): Alarm {
  return {
    code: 'secret.unavailable',
    severity: 'error',
    transient: false,
    subject,
    message: `The credential of ${named(subject)} could not be read: secret '${secretName}' is unavailable (${reason}).`,
    fix: `Store the app's client secret (or PEM certificate) in the deployment's Key Vault under the name '${secretName}', or correct the account's secret name; the function app's managed identity needs the "Key Vault Secrets User" role on the vault. Then re-run the job.`,
  };
}

/** Another job's run took the item over while this run was backing it up (this run's lease had expired). */
export function itemBusyAlarm(holderRunId: string, subject?: Subject): Alarm {
  return {
    code: 'item.busy',
    severity: 'warning',
    transient: true,
    subject,
    message: `${named(subject)} is being backed up by another job's run (${holderRunId}); this run stopped backing it up so the two do not interleave.`,
    fix: 'No action needed: the next run continues incrementally. If jobs overlap often, schedule the jobs that cover the same mailboxes at different times.',
  };
}

/** A run whose orchestration ended without finishing it: failed after its retries, or terminated by an operator. */
export function runEndedAlarm(how: 'failed' | 'terminated', detail: string | undefined): Alarm {
  if (how === 'terminated') {
    return {
      code: 'run.terminated',
      severity: 'warning',
      transient: true,
      message: `The run was terminated through the Durable Functions API${detail ? ` (${detail})` : ''} before it finished; what it had stored stays in its recovery points.`,
      fix: "No action needed if that was intended: the next run continues incrementally. Stop runs through the job's schedule end time rather than by terminating them.",
    };
  }
  return {
    code: 'run.failed',
    severity: 'error',
    transient: true,
    message: `The run failed: ${detail ?? 'its orchestration ended without recording why'}.`,
    fix: 'The next run retries everything not yet stored. If it fails the same way, look the run id up in Application Insights (traces and exceptions of the function app).',
  };
}

/** Classifies an Azure Storage failure of the backup repository by its error code. */
export function classifyStorageFailure(status: number, code: string | undefined, subject?: Subject): Alarm {
  const base = { subject, severity: 'error' as const };
  if (
    code === 'BlobImmutableDueToPolicy' ||
    code === 'BlobImmutableDueToLegalHold' ||
    code === 'ContainerImmutableDueToPolicy' ||
    code?.startsWith('ImmutabilityPolicy')
  ) {
    return {
      ...base,
      code: 'storage.immutable',
      transient: false,
      message: `The backup repository refused the change: an immutability policy or legal hold protects it (${code}).`,
      fix: "Expected for immutable repositories: retention cannot delete data before its immutability period ends. If this blocks new backups, check the container's immutability policy in the storage account.",
    };
  }
  if (code === 'AccountLimitExceeded' || code === 'AccountIsDisabled' || status === 507) {
    return {
      ...base,
      code: 'storage.quotaExceeded',
      transient: false,
      message: `The backup repository's storage account cannot accept more data (${code ?? status}).`,
      fix: "Check the storage account's capacity and limits in the Azure portal, free space through retention, or raise the quota.",
    };
  }
  if (status === 403) {
    return {
      ...base,
      code: 'storage.forbidden',
      transient: false,
      message: `The backup repository denied access (${code ?? 'HTTP 403'}).`,
      fix: "Grant the function app's managed identity the Storage Blob Data Contributor role on the backup storage account (azd provisions it), and check its firewall allows the app.",
    };
  }
  if (status === 503 || status === 500 || code === 'ServerBusy' || code === 'OperationTimedOut') {
    return {
      ...base,
      code: 'storage.unavailable',
      severity: 'warning',
      transient: true,
      message: `The backup repository is busy or unavailable (${code ?? status}).`,
      fix: "Usually transient; the job retries. If it persists, check the storage account's health and scalability targets.",
    };
  }
  return {
    ...base,
    code: 'unexpected',
    transient: status >= 500,
    message: `The backup repository answered HTTP ${status}${code ? ` (${code})` : ''}.`,
    fix: 'Check the request in Application Insights.',
  };
}
