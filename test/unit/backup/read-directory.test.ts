import { DIRECTORY_SOURCES, DirectoryEntry } from '../../../shared/backup/directory';
import { readDirectory, withKnownBelowUnlisted } from '../../../shared/backup/read-directory';

const err = (status: number): Error => Object.assign(new Error(`HTTP ${status}`), { status });

/** A Graph stand-in answering each listed path, or failing with the given status; records what was asked. */
function graphOf(answers: Record<string, DirectoryEntry[] | number>) {
  const asked: Array<{ path: string; mailbox: string }> = [];
  return {
    asked,
    all: <T>(path: string, o: { mailbox: string }): Promise<T[]> => {
      asked.push({ path, mailbox: o.mailbox });
      const a = answers[path];
      if (a === undefined) return Promise.reject(new Error(`unexpected ${path}`));
      return typeof a === 'number' ? Promise.reject(err(a)) : Promise.resolve(a as T[]);
    },
  };
}

const sites = DIRECTORY_SOURCES.sites;
const subsitesOf = (id: string): string => sites.children({ id });
const e = (id: string): DirectoryEntry => ({ id, displayName: id });

describe('readDirectory', () => {
  it('lists site collections, then their subsites level by level, each on its own site', async () => {
    const g = graphOf({
      [sites.path]: [e('a'), e('b'), e('locked')],
      [subsitesOf('a')]: [e('a1')],
      [subsitesOf('b')]: [],
      // A locked or archived site answers 423: it stays an entry (its backup says why), its subsites unseen.
      [subsitesOf('locked')]: 423,
      [subsitesOf('a1')]: [e('a11'), e('a')],
      [subsitesOf('a11')]: [],
    });
    const found = await readDirectory(g, sites, Date.now() + 60_000);
    expect(found.entries.map((x) => x.id)).toEqual(['a', 'b', 'locked', 'a1', 'a11']);
    expect(found.unlisted.map((x) => x.id)).toEqual(['locked']);
    expect(g.asked[0]).toEqual({ path: sites.path, mailbox: 'directory' });
    expect(g.asked.find((x) => x.path === subsitesOf('a1'))?.mailbox).toBe('a1');
    // A site seen twice is listed once and its subsites read once.
    expect(g.asked.filter((x) => x.path === subsitesOf('a'))).toHaveLength(1);
  });
  it('fails the whole directory on a denial that is not about one site', async () => {
    const g = graphOf({ [sites.path]: [e('a')], [subsitesOf('a')]: 403 });
    await expect(readDirectory(g, sites, Date.now() + 60_000)).rejects.toMatchObject({ status: 403 });
  });
  it('reads a flat directory in one listing', async () => {
    const g = graphOf({ [DIRECTORY_SOURCES.users.path]: [e('u1')] });
    expect(await readDirectory(g, DIRECTORY_SOURCES.users, Date.now() + 60_000)).toEqual({
      entries: [e('u1')],
      unlisted: [],
    });
    expect(g.asked).toHaveLength(1);
  });
  it('keeps the subsites known from earlier runs below a collection whose subsites could not be listed', () => {
    const at = (id: string, url: string): DirectoryEntry => ({ id, webUrl: url });
    const locked = at('locked', 'https://contoso.sharepoint.com/sites/apollo');
    const listing = {
      entries: [locked, at('m', 'https://contoso.sharepoint.com/sites/marketing')],
      unlisted: [locked],
    };
    const known = [
      at('sub', 'https://contoso.sharepoint.com/sites/apollo/archive'),
      at('subsub', 'https://contoso.sharepoint.com/Sites/Apollo/archive/2025/'),
      // A sibling whose URL only begins the same way is not below it.
      at('other', 'https://contoso.sharepoint.com/sites/apollo2'),
      at('m', 'https://contoso.sharepoint.com/sites/marketing'),
    ];
    expect(withKnownBelowUnlisted(listing, known).map((x) => x.id)).toEqual(['locked', 'm', 'sub', 'subsub']);
    expect(withKnownBelowUnlisted({ ...listing, unlisted: [] }, known).map((x) => x.id)).toEqual(['locked', 'm']);
  });
});
