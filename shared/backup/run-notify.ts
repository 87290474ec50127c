// The run's conversations with the outside world: the pre-run webhook, then the post-run webhook and the e-mail
// report. None of them changes what was backed up: a failure becomes a warning alarm on the run, said once.
import type { Alarm } from '../domain/alarms';
import type { Ports } from '../runtime/services';
import type { AccountDoc, JobDoc } from '../inventory/schemas';
import type { RunDoc } from '../catalog/points-store';
import { reportMail, runPayload, RunEvent } from '../notify/run-report';
import { callWebhook } from '../notify/webhook';
import { alarmFor } from './failures';
import type { RunRef } from './run-steps';
import { runAlarms } from './run-steps';

/** Scheme, host and path only: a webhook's query string may hold a receiver's token. */
const shown = (url: string): string => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

async function load(
  s: Ports<'inventory' | 'points'>,
  ref: RunRef,
): Promise<{ account: AccountDoc; job: JobDoc; run: RunDoc }> {
  const [account, job, run] = await Promise.all([
    s.inventory.getAccount(ref.accountId),
    s.inventory.getJob(ref.accountId, ref.jobId),
    s.points.getRun(ref.accountId, ref.jobId, ref.runId),
  ]);
  if (!run) throw new Error(`run ${ref.runId} was not begun`);
  return { account, job, run };
}

async function webhook(
  s: Ports<'secrets'>,
  event: RunEvent,
  url: string,
  ctx: { account: AccountDoc; job: JobDoc; run: RunDoc },
  alarms: readonly Alarm[],
): Promise<Alarm | undefined> {
  const secretName = ctx.job.options.webhooks.signingSecretName;
  const signingSecret = secretName ? await s.secrets.get(secretName) : undefined;
  const r = await callWebhook(url, runPayload(event, ctx.account, ctx.job, ctx.run, alarms), {
    deliveryId: `${ctx.run.id}:${event}`,
    ...(signingSecret ? { signingSecret } : {}),
  });
  if (r.ok) return undefined;
  return {
    code: 'notify.webhookFailed',
    severity: 'warning',
    transient: true,
    subject: { kind: 'tenant', name: ctx.account.displayName },
    message: `The ${event === 'backup.run.starting' ? 'pre-run' : 'post-run'} webhook ${shown(url)} failed: ${r.error}. The backup itself ${event === 'backup.run.starting' ? 'went ahead' : 'is not affected'}.`,
    fix: 'Check that the receiver is up, answers 2xx within 10 seconds over HTTPS with a publicly trusted certificate, and accepts POST.',
  };
}

async function record(s: Ports<'points'>, ref: RunRef, alarms: Alarm[]): Promise<Alarm[]> {
  if (alarms.length === 0) return alarms;
  const run = await s.points.getRun(ref.accountId, ref.jobId, ref.runId);
  if (run) await s.points.saveRun({ ...run, alarms: [...run.alarms, ...alarms] });
  return alarms;
}

/** Before discovery: tells the pre-run receiver the run is starting. Returns the alarms it raised. */
export async function preRunHook(s: Ports<'inventory' | 'points' | 'secrets'>, ref: RunRef): Promise<Alarm[]> {
  const ctx = await load(s, ref);
  const url = ctx.job.options.webhooks.preRun;
  if (!url) return [];
  const alarm = await webhook(s, 'backup.run.starting', url, ctx, []);
  return record(s, ref, alarm ? [alarm] : []);
}

/** After the run is finished: post-run webhook and e-mail report, each with every alarm of the run. */
export async function notifyRun(s: Ports<'graph' | 'inventory' | 'points' | 'secrets'>, ref: RunRef): Promise<Alarm[]> {
  const ctx = await load(s, ref);
  const { webhooks, reportRecipients, reportSender } = ctx.job.options;
  if (!webhooks.postRun && reportRecipients.length === 0) return [];
  const alarms = await runAlarms(s, ref);
  const raised: Alarm[] = [];
  if (webhooks.postRun) {
    const alarm = await webhook(s, 'backup.run.finished', webhooks.postRun, ctx, alarms);
    if (alarm) raised.push(alarm);
  }
  if (reportRecipients.length > 0 && reportSender) {
    const mail = reportMail(runPayload('backup.run.finished', ctx.account, ctx.job, ctx.run, alarms));
    try {
      const graph = await s.graph(ctx.account);
      await graph.send(
        'POST',
        `/users/${encodeURIComponent(reportSender)}/sendMail`,
        {
          message: {
            subject: mail.subject,
            body: { contentType: 'HTML', content: mail.html },
            toRecipients: reportRecipients.map((address) => ({ emailAddress: { address } })),
          },
          saveToSentItems: true,
        },
        { mailbox: reportSender, operation: 'mail.send', deadline: Date.now() + 60_000 },
      );
    } catch (e) {
      const graph = await s.graph(ctx.account).catch(() => undefined);
      const cause = alarmFor(
        e,
        'mail.send',
        { kind: 'mailbox', name: reportSender },
        await graph?.grantedRoles().catch(() => undefined),
      );
      if (!cause) throw e;
      raised.push({
        ...cause,
        code: 'notify.reportNotSent',
        severity: 'warning',
        message: `The run report was not sent from ${reportSender}: ${cause.message}`,
      });
    }
  }
  return record(s, ref, raised);
}
