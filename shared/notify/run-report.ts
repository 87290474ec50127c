// What a run tells the outside world when it ends: the webhook payload and the e-mail report. Pure: built from the
// run, job and account documents, so the same facts reach the portal, the webhook and the mailbox.
import type { Alarm } from '../domain/alarms';
import type { RunDoc } from '../catalog/points-store';
import type { AccountDoc, JobDoc } from '../inventory/schemas';

export type RunEvent = 'backup.run.starting' | 'backup.run.finished';

export interface RunPayload {
  event: RunEvent;
  account: { id: string; displayName: string; tenantId: string };
  job: { id: string; name: string };
  run: {
    id: string;
    trigger: RunDoc['trigger'];
    status: RunDoc['status'];
    startedAt: string;
    endedAt?: string;
    reason?: string;
    summary?: Record<string, number>;
    alarms: Array<Pick<Alarm, 'severity' | 'code' | 'message' | 'fix'> & { subject?: string }>;
  };
}

export function runPayload(
  event: RunEvent,
  account: AccountDoc,
  job: JobDoc,
  run: RunDoc,
  alarms: readonly Alarm[],
): RunPayload {
  return {
    event,
    account: { id: account.id, displayName: account.displayName, tenantId: account.tenantId },
    job: { id: job.id, name: job.name },
    run: {
      id: run.id,
      trigger: run.trigger,
      status: run.status,
      startedAt: run.startedAt,
      ...(run.endedAt ? { endedAt: run.endedAt } : {}),
      ...(run.reason ? { reason: run.reason } : {}),
      ...(run.summary ? { summary: run.summary } : {}),
      alarms: alarms.map((a) => ({
        severity: a.severity,
        code: a.code,
        message: a.message,
        fix: a.fix,
        ...(a.subject ? { subject: `${a.subject.kind} ${a.subject.name}` } : {}),
      })),
    },
  };
}

const STATUS_WORD: Record<RunDoc['status'], string> = {
  running: 'Running',
  success: 'Success',
  warning: 'Warning',
  failed: 'Failed',
  stopped: 'Stopped',
};

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const mb = (bytes: number | undefined): string => `${((bytes ?? 0) / 1e6).toFixed(1)} MB`;

/** The e-mail report: subject line as backup products word it ("[Warning] job name"), and an HTML body. */
export function reportMail(p: RunPayload): { subject: string; html: string } {
  const s = p.run.summary ?? {};
  const rows: Array<[string, string]> = [
    ['Account', `${p.account.displayName} (${p.account.tenantId})`],
    ['Run', `${p.run.id} (${p.run.trigger})`],
    ['Started', p.run.startedAt],
    ['Ended', p.run.endedAt ?? '-'],
    ['Items', `${s.items ?? 0} backed up, ${s.itemsFailed ?? 0} failed`],
    ['Changes', `${s.written ?? 0} versions written, ${s.deleted ?? 0} deletions recorded`],
    ['Data', `${mb(s.bytes)} read, ${mb(s.storedBytes)} stored`],
    ['Microsoft Graph', `${s.graphRequests ?? 0} requests, ${s.throttled ?? 0} throttled`],
    ...(p.run.reason ? [['Note', p.run.reason] as [string, string]] : []),
  ];
  const alarms =
    p.run.alarms.length === 0
      ? '<p>No warnings or errors.</p>'
      : `<table border="1" cellpadding="4" cellspacing="0"><tr><th>Severity</th><th>Object</th><th>What happened</th><th>How to fix it</th></tr>${p.run.alarms
          .map(
            (a) =>
              `<tr><td>${escapeHtml(a.severity)}</td><td>${escapeHtml(a.subject ?? '')}</td><td>${escapeHtml(a.message)}</td><td>${escapeHtml(a.fix)}</td></tr>`,
          )
          .join('')}</table>`;
  const html = `<html><body><h2>${escapeHtml(`${STATUS_WORD[p.run.status]}: ${p.job.name}`)}</h2><table cellpadding="4">${rows
    .map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</table><h3>Warnings and errors</h3>${alarms}</body></html>`;
  return { subject: `[${STATUS_WORD[p.run.status]}] ${p.job.name}`, html };
}
