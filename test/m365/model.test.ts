// The emulator's pure parts: the change log's delta rounds, invertible item ids, the $filter subset, the MIME
// parser, and laziness — a 100k-message mailbox is generated on demand, not held in memory.
import { arrayBase, ChangeLog, deltaPage, DeltaToken } from '../../local/m365/tenant/change-log';
import { decodeItemId, encodeItemId, ItemKind, mailboxKeyOf } from '../../local/m365/tenant/ids';
import { filterOf } from '../../local/m365/graph/odata';
import { mimeBuffer } from '../../local/m365/mail/mime-render';
import { decodeWords, parseAddressList, parseMime } from '../../local/m365/tenant/mime-parse';
import { resolveProfile } from '../../local/m365/tenant/profile';
import { Tenant } from '../../local/m365/tenant/tenant';
import { LiveMemory } from '../support/live-memory';

type Item = { id: string; v: number };

function log(n: number): ChangeLog<Item> {
  let seq = 0;
  return new ChangeLog(
    'test',
    arrayBase(() => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, v: 0 }))),
    { next: () => ++seq, current: () => seq },
  );
}

function drain(l: ChangeLog<Item>, token: DeltaToken | undefined, size: number): { ids: string[]; delta: DeltaToken } {
  const ids: string[] = [];
  let t = token;
  for (;;) {
    const p = deltaPage(l, t, size);
    if (p.expired) throw new Error('expired');
    ids.push(...p.changes.map((c) => `${c.kind}:${c.id}`));
    if (p.delta) return { ids, delta: p.delta };
    t = p.next;
  }
}

describe('change log', () => {
  it('enumerates base and created items, then reports changes since the round started, latest state once', () => {
    const l = log(5);
    const first = drain(l, undefined, 2);
    expect(first.ids).toEqual(['created:i0', 'created:i1', 'created:i2', 'created:i3', 'created:i4']);
    l.update({ id: 'i1', v: 1 }, ['v']);
    l.update({ id: 'i1', v: 2 }, ['v']);
    l.create({ id: 'n1', v: 0 });
    l.remove('i3');
    l.create({ id: 'n2', v: 0 });
    l.remove('n2');
    expect(l.size).toBe(5);
    const second = drain(l, first.delta, 10);
    expect(second.ids).toEqual(['updated:i1', 'created:n1', 'removed:i3', 'removed:n2']);
    expect(drain(l, second.delta, 10).ids).toEqual([]);
    expect([...l.all()].map((x) => x.id)).toEqual(['i0', 'i1', 'i2', 'i4', 'n1']);
  });

  it('replays changes made while an initial round pages, and expires every token on demand', () => {
    const l = log(4);
    const p1 = deltaPage(l, undefined, 2);
    if (p1.expired || !p1.next) throw new Error('expected a next page');
    l.update({ id: 'i0', v: 9 }, ['v']);
    const rest = drain(l, p1.next, 2);
    expect(rest.ids).toEqual(['created:i2', 'created:i3']);
    expect(drain(l, rest.delta, 10).ids).toEqual(['updated:i0']);
    l.expire();
    expect(deltaPage(l, rest.delta, 10)).toEqual({ expired: true });
  });

  it('keeps soft deletes restorable and turns a purge into a permanent removal', () => {
    const l = log(2);
    const base = drain(l, undefined, 10).delta;
    l.remove('i0', 'changed');
    expect(l.softDeleted().map((x) => x.id)).toEqual(['i0']);
    const p = deltaPage(l, base, 10);
    expect(!p.expired && p.changes.map((c) => [c.id, c.reason])).toEqual([['i0', 'changed']]);
    l.restore('i0');
    expect(l.get('i0')).toEqual({ id: 'i0', v: 0 });
    l.remove('i0', 'changed');
    l.remove('i0', 'deleted');
    const q = deltaPage(l, base, 10);
    expect(!q.expired && q.changes.map((c) => [c.id, c.reason])).toEqual([['i0', 'deleted']]);
  });
});

describe('item ids', () => {
  it('round-trip their fields, look like Exchange ids, and reject anything else', () => {
    const ref = {
      mailbox: mailboxKeyOf('seed', 'user'),
      kind: ItemKind.message,
      container: 3,
      index: 99_999,
      serial: 0,
      sub: 0,
    };
    const id = encodeItemId(ref);
    expect(id).toMatch(/^AAMk[A-Za-z0-9_-]{147}=$/);
    expect(decodeItemId(id)).toEqual(ref);
    const tampered = `${id.slice(0, 40)}${id[40] === 'A' ? 'B' : 'A'}${id.slice(41)}`;
    expect(decodeItemId(tampered)).toBeUndefined();
    expect(decodeItemId('AAMkAGI2TG93AAA=')).toBeUndefined();
  });
});

describe('$filter', () => {
  const f = (text: string) => filterOf(new URLSearchParams({ $filter: text }))!;
  const user = {
    displayName: 'Adele Vance',
    accountEnabled: true,
    assignedLicenses: [{ skuId: 'x' }],
    groupTypes: ['Unified'],
    from: { emailAddress: { address: 'a@b.example' } },
    receivedDateTime: '2026-03-01T10:00:00Z',
  };
  it('evaluates comparisons, and/or/not, startswith, any() and navigation paths', () => {
    expect(f("displayName eq 'adele vance'")(user)).toBe(true);
    expect(f("accountEnabled eq true and startswith(displayName,'Ad')")(user)).toBe(true);
    expect(f("not (accountEnabled eq true) or displayName ne 'Adele Vance'")(user)).toBe(false);
    expect(f("groupTypes/any(c:c eq 'Unified')")(user)).toBe(true);
    expect(f("from/emailAddress/address eq 'a@b.example'")(user)).toBe(true);
    expect(f('receivedDateTime ge 2026-01-01T00:00:00Z')(user)).toBe(true);
    expect(f('receivedDateTime lt 2026-01-01T00:00:00Z')(user)).toBe(false);
    expect(() => f('displayName wibble 3')).toThrow();
  });
});

describe('MIME parser', () => {
  it('decodes encoded words, address lists and nested multiparts', () => {
    expect(decodeWords('=?UTF-8?B?w5xiZXJzaWNodA==?= =?ISO-8859-1?Q?_f=FCr_Q3?=')).toBe('Übersicht für Q3');
    expect(
      parseAddressList('"Vance, Adele" <adele@x.example>, =?UTF-8?B?546L6Iqz?= <wang@y.example>, c@z.example'),
    ).toEqual([
      { name: 'Vance, Adele', address: 'adele@x.example' },
      { name: '王芳', address: 'wang@y.example' },
      { name: '', address: 'c@z.example' },
    ]);
    const mime = Buffer.from(
      [
        'Subject: =?UTF-8?B?w5xiZXJzaWNodA==?=',
        'Content-Type: multipart/mixed; boundary="m"',
        '',
        '--m',
        'Content-Type: multipart/related; boundary="r"',
        '',
        '--r',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        '<p>caf=C3=A9 <img src=3D"cid:logo"></p>',
        '--r',
        'Content-Type: image/png',
        'Content-ID: <logo>',
        'Content-Transfer-Encoding: base64',
        '',
        'iVBORw0K',
        '--r--',
        '--m',
        "Content-Type: application/pdf; name*=utf-8''R%C3%A9sum%C3%A9.pdf",
        'Content-Disposition: attachment',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERg==',
        '--m--',
        '',
      ].join('\r\n'),
    );
    const parsed = parseMime(mime);
    expect(parsed.leaves.map((l) => [l.contentType, l.filename, l.contentId, l.related])).toEqual([
      ['text/html', undefined, undefined, true],
      ['image/png', undefined, 'logo', true],
      ['application/pdf', 'Résumé.pdf', undefined, false],
    ]);
    expect(parsed.leaves[0].body.toString('utf8')).toBe('<p>café <img src="cid:logo"></p>');
    expect(parsed.leaves[2].body.toString()).toBe('%PDF');
  });
});

describe('laziness', () => {
  it('serves any message of a 100k-message folder without generating the rest (heap grows by far less than the folder content)', () => {
    const memory = new LiveMemory();
    const tenant = new Tenant({
      seed: 'lazy',
      profile: resolveProfile({
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: { inbox: 100_000 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 4,
        largeEvery: 200,
      }),
      now: Date.now,
    });
    const mb = tenant.mailbox(tenant.directory.correspondents()[0].id)!;
    const inbox = mb.folder('inbox')!;
    const messages = mb.messages(inbox);
    expect(messages.size).toBe(100_000);
    expect(mb.unreadCount(inbox)).toBe(25_000);
    const last = messages.itemAt(99_999)!;
    expect(mb.findMessage(last.id)?.message.content.subject).toBe(last.content.subject);
    let bytes = 0;
    for (const p of [0, 50_007, 99_999]) bytes += mimeBuffer(messages.itemAt(p)!).length;
    expect(bytes).toBeGreaterThan(3_500_000);
    memory.sample();
    expect(memory.grewMiB).toBeLessThan(40);
  });
});
