import { nameFirst } from '../../local/stack/azurite-main';

describe('Azurite lookups by name first', () => {
  it('moves an equality on a blob or block name to the front, keeping every condition', () => {
    const q = { accountName: 'a', containerName: 'c', name: 'x/y', snapshot: '' };
    expect(Object.keys(nameFirst(q) as object)).toEqual(['name', 'accountName', 'containerName', 'snapshot']);
    expect(nameFirst(q)).toEqual(q);
    expect(Object.keys(nameFirst({ accountName: 'a', blobName: 'b', name: 'block1' }) as object)[0]).toBe('name');
  });

  it('leaves range queries, single keys and operators as they are', () => {
    const range = { accountName: 'a', name: { $gt: 'm' } };
    expect(nameFirst(range)).toBe(range);
    const single = { name: 'x' };
    expect(nameFirst(single)).toBe(single);
    const and = { $and: [{ accountName: 'a' }] };
    expect(nameFirst(and)).toBe(and);
  });
});
