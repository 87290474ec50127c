// Word index for message search. A version's searchable text (subject, names and addresses, body preview and the
// first 4,000 characters of the body) is also stored as its distinct words, `searchTerms`, so Cosmos DB answers a
// search from its range index (ARRAY_CONTAINS, STARTSWITH over the array: index seeks whose cost follows the
// matches) instead of evaluating CONTAINS over every version's text, which costs a read of the whole mailbox for a
// rare word. The text itself stays and is checked only on the candidates the index finds.
//
// What a search matches: messages that contain the query as typed (case-insensitive) where every word of the query
// is a word, or the beginning of a word, of the message: "budget" finds "Budgets", "user12@" finds
// "user12@contoso.com", "dget" finds nothing.

/** Longer words are indexed by their first 32 characters (a pasted token or hash must not bloat the document). */
export const TERM_MAX = 32;
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** The distinct lower-cased words of the texts, each cut to TERM_MAX characters. */
export function searchTermsOf(...texts: ReadonlyArray<string | undefined>): string[] {
  const terms = new Set<string>();
  for (const text of texts)
    for (const [word] of (text ?? '').toLowerCase().matchAll(WORD)) terms.add(word.slice(0, TERM_MAX));
  return [...terms];
}

/** A message version's props with its word index, derived from the texts the backup stored. */
export function withSearchTerms(props: Record<string, unknown>): Record<string, unknown> {
  const text = (k: string): string | undefined => (typeof props[k] === 'string' ? props[k] : undefined);
  return { ...props, searchTerms: searchTermsOf(text('searchText'), text('bodyText')) };
}

/** An index condition: a message must have this word (`whole`) or a word beginning with it. */
export interface TermCondition {
  term: string;
  whole: boolean;
}

export interface SearchPlan {
  /** The query as the stored texts hold it (lower case, runs of white space as one): it must occur in one of them. */
  phrase: string;
  /** At most two index conditions; none when the query has no letter or digit (then only the phrase is checked). */
  terms: TermCondition[];
}

/**
 * Which words of the query the index looks up. The first word must begin a word of the message (the phrase check
 * alone would let it start mid-word); the words after it follow a separator inside the phrase, so the phrase check
 * already makes them word starts. A second, longer word is added for selectivity: "the budget" should not make
 * Cosmos walk every message holding "the". A word followed by a separator in the query is whole (exact lookup); the
 * last one may be a prefix. Two conditions at most: on the local stand-in each one is a pass over the documents.
 */
export function searchPlan(query: string): SearchPlan {
  const phrase = query.toLowerCase().replace(/\s+/g, ' ');
  const words = [...phrase.matchAll(WORD)].map((m): TermCondition => ({
    term: m[0].slice(0, TERM_MAX),
    // A word at TERM_MAX or longer is stored cut to exactly its first TERM_MAX characters, so equality finds it.
    whole: m.index + m[0].length < phrase.length || m[0].length >= TERM_MAX,
  }));
  const [first, ...rest] = words;
  if (!first) return { phrase, terms: [] };
  const longest = rest.reduce<TermCondition | undefined>(
    (best, w) => (w.term.length > (best?.term.length ?? first.term.length) ? w : best),
    undefined,
  );
  return { phrase, terms: longest ? [first, longest] : [first] };
}
