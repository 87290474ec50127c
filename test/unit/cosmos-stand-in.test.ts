import { installLinearScan, linearFrom, standInCompiler } from '../../local/stack/cosmos-linear-scan';
import { installShortCircuit } from '../../local/stack/cosmos-short-circuit';

const docs = Array.from({ length: 40 }, (_, i) => ({
  id: `d${i}`,
  _rid: `r${String(i).padStart(4, '0')}`,
  n: i % 7,
  tags: i % 3 ? ['a', `t${i % 5}`] : [],
  nested: { s: `x${i}` },
}));
const QUERIES = [
  'SELECT * FROM c',
  'SELECT * FROM c WHERE c.n > 2 AND CONTAINS(c.nested.s, "1")',
  'SELECT f.id FROM Families f WHERE f.n = 3',
  'SELECT VALUE COUNT(1) FROM c WHERE c.n = 1',
  'SELECT c.id, t FROM c JOIN t IN c.tags WHERE t != "a"',
  'SELECT * FROM c WHERE EXISTS(SELECT VALUE t FROM t IN c.tags WHERE STARTSWITH(t, "t"))',
  'SELECT * FROM c ORDER BY c.n DESC',
  'SELECT * FROM c WHERE c.n = 1 OR (c.missing = 2 AND c.n > 3) OR NOT (c.missing > 1 OR c.n < 5)',
  'SELECT * FROM c WHERE (c.missing AND false) OR (c.n > 2 AND ARRAY_CONTAINS(c.tags, "t1"))',
  'SELECT VALUE { a: c.missing AND true, b: c.missing OR true, d: c.n > 3 OR c.missing } FROM c',
];

describe('Cosmos DB stand-in: linear FROM scan, short-circuit AND / OR', () => {
  const compile = standInCompiler();
  const pages = (sql: string): unknown[] => {
    const out: unknown[] = [];
    let continuation: { token: string } | undefined;
    do {
      const r = (
        compile(sql) as unknown as {
          exec(c: unknown[], o: object): { result: unknown[]; continuation: { token: string } | null };
        }
      ).exec(docs, { maxItemCount: 6, ...(continuation ? { continuation } : {}) });
      out.push(...r.result);
      continuation = r.continuation ?? undefined;
    } while (continuation);
    return out;
  };

  it('returns the same rows, in the same order and pages, as the compiler it replaces', () => {
    const before = QUERIES.map(pages);
    expect(installLinearScan(compile)).toBe(true);
    expect(installShortCircuit()).toBe(true);
    expect(QUERIES.map(pages)).toEqual(before);
  });

  it('evaluates the right side of AND only where the left side leaves it open', () => {
    installShortCircuit();
    let reads = 0;
    const counted = docs.map((d) => ({
      ...d,
      get costly(): string[] {
        reads++;
        return d.tags;
      },
    }));
    const r = (
      compile('SELECT c.id FROM c WHERE c.n = 1 AND ARRAY_CONTAINS(c.costly, "a")') as unknown as {
        exec(c: unknown[], o: object): { result: unknown[] };
      }
    ).exec(counted, {});
    expect(reads).toBe(docs.filter((d) => d.n === 1).length);
    expect(r.result).toHaveLength(docs.filter((d) => d.n === 1 && d.tags.includes('a')).length);
  });

  it('rewrites only the root FROM collection', () => {
    const code = compile('SELECT c.id FROM c JOIN t IN c.tags').code;
    expect(code).toContain('$c.filter(');
    expect(code).toContain('.reduce(');
    expect(linearFrom('unrelated code')).toBe('unrelated code');
  });

  it('scans 100,000 documents in one pass (the quadratic collection took minutes)', () => {
    installLinearScan(compile);
    const many = Array.from({ length: 100_000 }, (_, i) => ({ id: `d${i}`, _rid: `r${i}` }));
    const started = Date.now();
    const r = (
      compile('SELECT * FROM c WHERE c.id = "d99999"') as unknown as {
        exec(c: unknown[], o: object): { result: unknown[] };
      }
    ).exec(many, {});
    expect(r.result).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
