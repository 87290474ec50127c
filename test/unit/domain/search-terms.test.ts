import { searchPlan, searchTermsOf, TERM_MAX, withSearchTerms } from '../../../shared/domain/search-terms';

describe('search word index', () => {
  it('holds the distinct lower-cased words of every text, long ones cut', () => {
    const long = 'x'.repeat(50);
    expect(
      searchTermsOf('Budget Review\nAlice <alice@contoso.com>', undefined, `budget grüße Café ${long}`).sort(),
    ).toEqual(['alice', 'budget', 'café', 'com', 'contoso', 'grüße', 'review', 'x'.repeat(TERM_MAX)].sort());
    expect(searchTermsOf('e\u0301t\u00e9')).toEqual(['e\u0301t\u00e9']);
  });

  it('derives the index of a message from its search and body texts', () => {
    expect(withSearchTerms({ subject: 'S', searchText: 's\nann <ann@x.io>', bodyText: 'hello s' })).toEqual({
      subject: 'S',
      searchText: 's\nann <ann@x.io>',
      bodyText: 'hello s',
      searchTerms: ['s', 'ann', 'x', 'io', 'hello'],
    });
    expect(withSearchTerms({ subject: 'no texts' }).searchTerms).toEqual([]);
  });

  it('looks up the first word (whole when a separator follows) and a longer one', () => {
    expect(searchPlan('Roadmap')).toEqual({ phrase: 'roadmap', terms: [{ term: 'roadmap', whole: false }] });
    expect(searchPlan('user12@')).toEqual({ phrase: 'user12@', terms: [{ term: 'user12', whole: true }] });
    expect(searchPlan('Alice@Contoso.example')).toEqual({
      phrase: 'alice@contoso.example',
      terms: [
        { term: 'alice', whole: true },
        { term: 'contoso', whole: true },
      ],
    });
    expect(searchPlan('the  weekly sync')).toEqual({
      phrase: 'the weekly sync',
      terms: [
        { term: 'the', whole: true },
        { term: 'weekly', whole: true },
      ],
    });
    expect(searchPlan('budget q3')).toEqual({ phrase: 'budget q3', terms: [{ term: 'budget', whole: true }] });
    expect(searchPlan('@contoso')).toEqual({ phrase: '@contoso', terms: [{ term: 'contoso', whole: false }] });
  });

  it('looks up a word longer than the index keeps by its cut form, and nothing for a query without words', () => {
    expect(searchPlan('y'.repeat(40)).terms).toEqual([{ term: 'y'.repeat(TERM_MAX), whole: true }]);
    expect(searchPlan("'; --")).toEqual({ phrase: "'; --", terms: [] });
  });
});
