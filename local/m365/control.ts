// The emulator's control API (`/_emulator/…`, no Graph auth, loopback only): change the tenant as users would,
// inject faults, read state back to verify restores, and read request counters for benchmarks.
import { createHash, X509Certificate } from 'node:crypto';
import type { GraphResult } from './graph/routes';
import type { EmulatorState } from './server';
import { outlookIdOf } from './tenant/seeded';
import { fileBytes } from './tenant/file-content';

const json = (status: number, body: unknown): GraphResult => ({ status, json: body });

export async function handleControl(state: EmulatorState, method: string, url: URL, body: Buffer): Promise<GraphResult> {
  const t = state.tenant;
  const seg = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const input = (): Record<string, unknown> => (body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {});
  const route = `${method} ${seg[0] ?? ''}${seg.length > 2 ? `/${seg[2]}` : ''}${seg.length > 4 ? `/${seg[4]}` : ''}`;

  if (route === 'GET tenant') {
    return json(200, {
      tenantId: t.id, domain: t.domain,
      apps: state.apps.map((a) => ({ clientId: a.clientId, displayName: a.displayName, clientSecret: a.secrets[0]?.value, graphRoles: [...a.graphRoles], apiRoles: Object.fromEntries([...a.apiRoles].map(([k, v]) => [k, [...v]])) })),
      users: t.users.all().map((u) => ({ id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName, mail: u.mail, licensed: u.assignedLicenses.length > 0 })),
    });
  }
  if (route === 'GET counters') return json(200, state.counters);
  if (route === 'DELETE counters') {
    Object.assign(state.counters, { requests: 0, byStatus: {}, byWorkload: {}, throttled: 0, byMailbox: {} });
    return { status: 204 };
  }
  if (route === 'PUT throttle') {
    state.throttle.settings = { ...state.throttle.settings, ...(input() as object) };
    return json(200, state.throttle.settings);
  }
  if (route === 'PUT faults') {
    Object.assign(state.faults, input());
    return json(200, state.faults);
  }
  if (route === 'PUT access-policy') {
    const { appId, deniedUsers } = input() as { appId: string; deniedUsers: string[] };
    state.denied.set(appId, new Set(deniedUsers.map((u) => t.user(u)?.id ?? u)));
    return { status: 204 };
  }
  if (method === 'POST' && seg[0] === 'apps' && seg[2] === 'certificates') {
    // Uploading a certificate's public part to the app registration, as in Certificates & secrets.
    const app = state.apps.find((a) => a.clientId === seg[1]);
    if (!app) return json(404, { error: 'no such app' });
    const cert = new X509Certificate(String(input().certificatePem ?? ''));
    const x5t = createHash('sha1').update(cert.raw).digest('base64url');
    const x5tS256 = createHash('sha256').update(cert.raw).digest('base64url');
    app.certificates.push({ publicKeyPem: cert.publicKey.export({ type: 'spki', format: 'pem' }).toString(), x5t, x5tS256 });
    return json(201, { x5t, x5tS256 });
  }
  if (method === 'POST' && seg[0] === 'apps' && seg[2] === 'roles') {
    // Like admin consent changes in Entra ID: tokens issued from now on carry the new roles.
    const app = state.apps.find((a) => a.clientId === seg[1]);
    if (!app) return json(404, { error: 'no such app' });
    const { grant = [], revoke = [] } = input() as { grant?: string[]; revoke?: string[] };
    grant.forEach((r) => app.graphRoles.add(r));
    revoke.forEach((r) => app.graphRoles.delete(r));
    return json(200, { graphRoles: [...app.graphRoles] });
  }
  if (route === 'POST expire-tokens') {
    const { userId } = input() as { userId?: string };
    for (const mb of t.listMailboxes().filter((m) => !userId || m.user.id === userId)) {
      mb.folders.generation++;
      for (const c of mb.messages.values()) c.generation++;
      mb.events.generation++;
      mb.contacts.generation++;
    }
    for (const u of t.users.all().filter((x) => !userId || x.id === userId)) {
      const d = t.drive(u.id);
      if (d) d.items.generation++;
    }
    return { status: 204 };
  }

  // /_emulator/mail/{user}/messages[/{id}[/move|/mime]]
  if (seg[0] === 'mail' && seg[2] === 'messages') {
    const mb = t.mailbox(t.user(seg[1] ?? '')?.id ?? '');
    if (!mb) return json(404, { error: 'no such mailbox' });
    const folderOf = (nameOrId: string) => mb.folders.all().find((f) => f.id === nameOrId || f.wellKnownName === nameOrId.toLowerCase() || f.displayName.toLowerCase() === nameOrId.toLowerCase());
    const find = (id: string) => [...mb.messages.entries()].map(([fid, c]) => ({ fid, c, m: c.get(id) })).find((x) => x.m);
    if (method === 'POST' && seg.length === 3) {
      const { folder = 'inbox', subject = 'New message', mime } = input() as { folder?: string; subject?: string; mime?: string };
      const f = folderOf(folder);
      if (!f) return json(404, { error: 'no such folder' });
      const coll = t.folderMessages(mb, f.id)!;
      const template = [...coll.enumerate()].map((e) => e.item)[0] ?? [...mb.messages.values()].flatMap((c) => [...c.enumerate()].map((e) => e.item))[0]!;
      const id = outlookIdOf('control', t.clock.current(), subject);
      const raw = mime ? Buffer.from(mime, 'base64') : Buffer.from(`From: ${template.from.emailAddress.address}\r\nTo: ${mb.user.mail}\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${subject} body\r\n`);
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const m = { ...template, id, subject, changeKey: `CQ${id.slice(-10)}`, parentFolderId: f.id, receivedDateTime: now, lastModifiedDateTime: now, isRead: false, isDraft: false, hasAttachments: false, mime: raw, spec: undefined };
      coll.put(m);
      return json(201, { id });
    }
    const hit = find(seg[3] ?? '');
    if (!hit) return json(404, { error: 'no such message' });
    if (method === 'GET' && seg[4] === 'mime') return { status: 200, headers: { 'content-type': 'message/rfc822' }, bytes: t.mimeOf(hit.m!) };
    if (method === 'PATCH') {
      const changes = input();
      hit.c.put({ ...hit.m!, ...changes, changeKey: `${hit.m!.changeKey.slice(0, 20)}${t.clock.current() + 1}`, lastModifiedDateTime: new Date().toISOString() });
      return { status: 204 };
    }
    if (method === 'DELETE') {
      hit.c.delete(hit.m!.id);
      return { status: 204 };
    }
    if (method === 'POST' && seg[4] === 'move') {
      const f = folderOf(String(input().to ?? ''));
      if (!f) return json(404, { error: 'no such folder' });
      // Moving gives the message a new id in Exchange; the old id stops resolving.
      const moved = { ...hit.m!, mime: t.mimeOf(hit.m!), id: outlookIdOf('moved', hit.m!.id, t.clock.current()), parentFolderId: f.id };
      hit.c.delete(hit.m!.id);
      t.folderMessages(mb, f.id)!.put(moved);
      return json(200, { id: moved.id });
    }
  }

  // /_emulator/drive/{user}/files[/{id}[/content]]
  if (seg[0] === 'drive' && seg[2] === 'files') {
    const drive = t.drive(t.user(seg[1] ?? '')?.id ?? '');
    if (!drive) return json(404, { error: 'no such drive' });
    if (method === 'POST' && seg.length === 3) {
      const { name, content, size } = input() as { name: string; content?: string; size?: number };
      const bytes = content !== undefined ? Buffer.from(content, 'base64') : undefined;
      const id = `${drive.id}!n${t.clock.current() + 1}`;
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      drive.items.put({ id, name, eTag: `"{${id}},1"`, cTag: `"c:{${id}},1"`, size: bytes?.length ?? size ?? 1024, createdDateTime: now, lastModifiedDateTime: now, parentReference: { driveId: drive.id, id: `${drive.id}!root` }, file: { mimeType: 'application/octet-stream' }, version: 1, ...(bytes ? { content: bytes } : {}) });
      return json(201, { id });
    }
    const item = drive.items.get(seg[3] ?? '');
    if (!item) return json(404, { error: 'no such item' });
    if (method === 'GET' && seg[4] === 'content') {
      const bytes = fileBytes(t.seed, item);
      return { status: 200, headers: { 'x-sha256': createHash('sha256').update(bytes).digest('hex') }, bytes };
    }
    if (method === 'PATCH') {
      const { name, content } = input() as { name?: string; content?: string };
      const version = item.version + (content !== undefined ? 1 : 0);
      const bytes = content !== undefined ? Buffer.from(content, 'base64') : item.content;
      drive.items.put({ ...item, ...(name ? { name } : {}), version, eTag: `"{${item.id}},${t.clock.current() + 1}"`, cTag: `"c:{${item.id}},${version}"`, ...(bytes ? { content: bytes, size: bytes.length } : {}), lastModifiedDateTime: new Date().toISOString() });
      return { status: 204 };
    }
    if (method === 'DELETE') {
      drive.items.delete(item.id);
      return { status: 204 };
    }
  }
  return json(404, { error: `unknown control route ${method} ${url.pathname}` });
}
