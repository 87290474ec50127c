import { Change, Head, planPage, unseenAfterResync } from '../../../shared/domain/version-plan';

const heads = (...hs: Head[]): Map<string, Head> => new Map(hs.map((h) => [h.itemId, h]));
const msg = (itemId: string, changeKey: string, extra: Partial<Extract<Change, { kind: 'upsert' }>> = {}): Change => ({
  kind: 'upsert',
  itemId,
  changeKey,
  hasContent: true,
  ...extra,
});
const opts = { seq: 5, resync: false };

describe('planPage', () => {
  it('stores a new item with its content', () => {
    expect(planPage([msg('a', 'k1')], heads(), opts)).toEqual([
      { op: 'put', itemId: 'a', index: 0, fetchContent: true },
    ]);
  });
  it('closes the previous version and keeps content when only properties changed (mail)', () => {
    const plan = planPage(
      [msg('a', 'k2')],
      heads({ itemId: 'a', validFrom: 3, changeKey: 'k1', hasContent: true }),
      opts,
    );
    expect(plan).toEqual([{ op: 'put', itemId: 'a', index: 0, closeFrom: 3, fetchContent: false }]);
  });
  it('refetches content of a draft, or when the content key changed (files)', () => {
    expect(
      planPage(
        [msg('d', 'k2', { mutableContent: true })],
        heads({ itemId: 'd', validFrom: 1, changeKey: 'k1', hasContent: true }),
        opts,
      )[0],
    ).toMatchObject({ fetchContent: true });
    const file = (key: string): Change => ({
      kind: 'upsert',
      itemId: 'f',
      changeKey: key,
      contentKey: key === 'e2' ? 'qx1:10' : 'qx2:11',
      hasContent: true,
    });
    const h = heads({ itemId: 'f', validFrom: 1, changeKey: 'e1', contentKey: 'qx1:10', hasContent: true });
    expect(planPage([file('e2')], h, opts)[0]).toMatchObject({ fetchContent: false, closeFrom: 1 });
    expect(planPage([file('e3')], h, opts)[0]).toMatchObject({ fetchContent: true, closeFrom: 1 });
  });
  it('skips a change already recorded (delta replays it)', () => {
    expect(
      planPage([msg('a', 'k1')], heads({ itemId: 'a', validFrom: 3, changeKey: 'k1', hasContent: true }), opts),
    ).toEqual([{ op: 'skip', itemId: 'a' }]);
  });
  it('keeps only the last occurrence of an item repeated in a page', () => {
    const plan = planPage(
      [msg('a', 'k1'), msg('b', 'x'), { kind: 'delete', itemId: 'a' }],
      heads({ itemId: 'a', validFrom: 2, changeKey: 'k0', hasContent: true }),
      opts,
    );
    expect(plan).toEqual([
      { op: 'put', itemId: 'b', index: 1, fetchContent: true },
      { op: 'delete', itemId: 'a', closeFrom: 2 },
    ]);
  });
  it('rewrites in place a head this run already wrote (a retried page or a later repeat)', () => {
    const plan = planPage(
      [msg('a', 'k9')],
      heads({ itemId: 'a', validFrom: 5, changeKey: 'k8', hasContent: true }),
      opts,
    );
    expect(plan).toEqual([{ op: 'put', itemId: 'a', index: 0, fetchContent: false }]);
    expect(
      planPage([{ kind: 'delete', itemId: 'a' }], heads({ itemId: 'a', validFrom: 5, hasContent: true }), opts),
    ).toEqual([{ op: 'delete', itemId: 'a' }]);
  });
  it('ignores deletion of an item never stored', () => {
    expect(planPage([{ kind: 'delete', itemId: 'zz' }], heads(), opts)).toEqual([{ op: 'skip', itemId: 'zz' }]);
  });
  it('writes an item that moved in from another container without its content, whatever its change key, and leaves its old version alone on a removal', () => {
    const moved = heads({ itemId: 'a', validFrom: 2, changeKey: 'k1', hasContent: true, elsewhere: true });
    expect(planPage([msg('a', 'k1')], moved, opts)).toEqual([
      { op: 'put', itemId: 'a', index: 0, fetchContent: false },
    ]);
    expect(planPage([msg('a', 'k2', { mutableContent: true })], moved, { seq: 5, resync: true })).toEqual([
      { op: 'put', itemId: 'a', index: 0, fetchContent: true },
    ]);
    expect(planPage([{ kind: 'delete', itemId: 'a' }], moved, opts)).toEqual([{ op: 'skip', itemId: 'a' }]);
  });
  it('marks unchanged items seen during a resync, once', () => {
    const h = heads(
      { itemId: 'a', validFrom: 2, changeKey: 'k1', hasContent: true },
      { itemId: 'b', validFrom: 2, changeKey: 'k1', hasContent: true, resyncMark: 5 },
    );
    expect(planPage([msg('a', 'k1'), msg('b', 'k1')], h, { seq: 5, resync: true })).toEqual([
      { op: 'mark', itemId: 'a' },
      { op: 'skip', itemId: 'b' },
    ]);
  });
});

describe('unseenAfterResync', () => {
  it('deletes heads the resync did not mark, including ones written before the token expired', () => {
    const ops = unseenAfterResync(
      [
        { itemId: 'seen', validFrom: 2, hasContent: true, resyncMark: 5 },
        { itemId: 'rewritten-by-resync', validFrom: 5, hasContent: true, resyncMark: 5 },
        { itemId: 'written-before-410', validFrom: 5, hasContent: true },
        { itemId: 'gone', validFrom: 2, hasContent: true },
        { itemId: 'gone-stale-mark', validFrom: 1, hasContent: true, resyncMark: 3 },
      ],
      5,
    );
    expect(ops).toEqual([
      { op: 'delete', itemId: 'written-before-410' },
      { op: 'delete', itemId: 'gone', closeFrom: 2 },
      { op: 'delete', itemId: 'gone-stale-mark', closeFrom: 1 },
    ]);
  });
});
