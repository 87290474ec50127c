// The XSS corpus planted in backed-up mail: each vector arrives in a message of its own (so one that swallows the rest
// of a document cannot hide another), the mailbox is backed up, and every message is previewed and downloaded through
// the API as a console would.
import { CosmosClient } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { XSS_VECTORS } from '../fixtures/xss-vectors';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';
import { dangersIn } from '../support/html-dangers';
import { base64Part, messageHeaders, mimeBytes, multipart, textPart, withHeaders } from '../support/mime-builder';

const CSP = /^default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'(;|$)/;

describe('preview of backed-up mail carrying XSS vectors', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let accountId: string;
  let base: string;
  const planted = new Map<string, string>();
  let unreadable: string;
  const logo = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  beforeAll(async () => {
    const catalog = await freshCatalog('previewxss');
    client = catalog.client;
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('previewxss'),
    });
    const adele = app.tenant.users.find((u) => u.licensed)!;
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    // The last one is a control: an ordinary message with its own inline image and a remote one.
    for (const [i, v] of [
      ...XSS_VECTORS,
      { name: 'control', html: '<img src="https://tracker.example/open.gif">' },
    ].entries()) {
      const html = `<html><head><title>t</title></head><body><p>Vector ${i}</p>${v.html}<p>after</p><img src="cid:logo@contoso"></body></html>`;
      const raw = mimeBytes(
        withHeaders(
          messageHeaders(`xss ${i}`, `xss-${i}`),
          multipart('related', [
            multipart('alternative', [
              textPart('text/plain; charset=utf-8', `Vector ${i}`),
              textPart('text/html; charset=utf-8', html),
            ]),
            base64Part('image/png; name="logo.png"', logo, [
              'Content-ID: <logo@contoso>',
              'Content-Disposition: inline; filename="logo.png"',
            ]),
          ]),
        ),
      );
      const arrived = await control<{ immutableId: string }>(app.emulator, 'POST', `mail/${adele.id}/messages`, {
        folder: 'inbox',
        mime: raw.toString('base64'),
      });
      planted.set(arrived.body.immutableId, v.name);
    }
    const many = mimeBytes(
      withHeaders(
        messageHeaders('too many parts', 'many-1'),
        multipart(
          'mixed',
          Array.from({ length: 1100 }, (_, i) => textPart('text/plain', `part ${i}`)),
        ),
      ),
    );
    unreadable = (
      await control<{ immutableId: string }>(app.emulator, 'POST', `mail/${adele.id}/messages`, {
        folder: 'inbox',
        mime: many.toString('base64'),
      })
    ).body.immutableId;
    const jobId = (
      await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
        name: 'Adele',
        sources: { scope: 'selected', items: [{ kind: 'mailbox', match: adele.userPrincipalName }] },
      })
    ).body.id;
    expect((await app.admin.runJob(accountId, jobId, 120_000)).status).toBe('success');
    base = `/api/accounts/${accountId}/protected-items/${encodeURIComponent(`${accountId}.mailbox.${adele.id}`)}/recovery-points/1`;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it(`previews each of the ${XSS_VECTORS.length} vectors with nothing left that runs or loads, under a CSP that forbids both`, async () => {
    expect(planted.size).toBe(XSS_VECTORS.length + 1);
    const survived: string[] = [];
    let ordinary = '';
    for (const [i, [id, name]] of [...planted].entries()) {
      const r = await app.reader.call<{ headers: { subject: string }; text: string; html?: string }>(
        'GET',
        `${base}/preview?itemId=${encodeURIComponent(id)}`,
      );
      expect(r.status).toBe(200);
      expect(r.headers.get('content-security-policy')).toMatch(CSP);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect({ name, subject: r.body.headers.subject, shown: r.body.html?.includes(`<p>Vector ${i}</p>`) }).toEqual({
        name,
        subject: `xss ${i}`,
        shown: true,
      });
      survived.push(...dangersIn(r.body.html!).map((d) => `${name}: ${d}`));
      if (name === 'control') ordinary = r.body.html!;
    }
    expect(survived).toEqual([]);
    // The message's own inline image is shown from its part and the remote one is not loaded, as mail clients do.
    expect(ordinary).toContain(
      `<p>Vector ${XSS_VECTORS.length}</p><img data-blocked-src="https://tracker.example/open.gif" /><p>after</p><img src="data:image/png;base64,${logo.toString('base64')}" />`,
    );
  });

  it('downloads a message with it as an attachment, never rendered, under the same CSP', async () => {
    const [id] = planted.keys();
    const r = await app.admin.call('GET', `${base}/content?itemId=${encodeURIComponent(id)}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="xss 0\.eml"/);
    expect(r.headers.get('content-security-policy')).toMatch(CSP);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const zip = await app.admin.call('POST', `${base}/export`, { items: [id] });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(zip.headers.get('content-security-policy')).toMatch(CSP);
    expect(zip.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('answers 422 naming the reason for a message the parser refuses (it stays downloadable)', async () => {
    const r = await app.reader.call<{ error: { code: string; message: string } }>(
      'GET',
      `${base}/preview?itemId=${encodeURIComponent(unreadable)}`,
    );
    expect(r.status).toBe(422);
    expect(r.body.error).toEqual({
      code: 'unreadableMessage',
      message: 'The message cannot be read: Max allowed child nodes exceeded. Download it instead.',
    });
    expect((await app.admin.call('GET', `${base}/content?itemId=${encodeURIComponent(unreadable)}`)).status).toBe(200);
  });
});
