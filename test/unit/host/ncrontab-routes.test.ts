import { parseNcrontab } from '../../../local/host/ncrontab';
import { compileRoute, malformedPath } from '../../../local/host/route-template';
import { expandMain } from '../../../local/host/app-loader';
import path from 'node:path';

describe('NCRONTAB', () => {
  const next = (expr: string, after: string): string => parseNcrontab(expr).next(new Date(after)).toISOString();
  it('handles every minute, steps, ranges, lists and names', () => {
    expect(next('0 * * * * *', '2026-11-23T10:15:30Z')).toBe('2026-11-23T10:16:00.000Z');
    expect(next('*/15 * * * * *', '2026-11-23T10:15:31Z')).toBe('2026-11-23T10:15:45.000Z');
    expect(next('0 30 9-17 * * mon-fri', '2026-11-21T12:00:00Z')).toBe('2026-11-23T09:30:00.000Z');
    expect(next('0 0 0 1 jan,jul *', '2026-02-01T00:00:00Z')).toBe('2026-07-01T00:00:00.000Z');
    expect(next('0 0 12 * * 0', '2026-11-23T00:00:00Z')).toBe('2026-11-29T12:00:00.000Z');
  });
  it('rejects five-field cron and out-of-range values with a clear message', () => {
    expect(() => parseNcrontab('* * * * *')).toThrow(/six-field/);
    expect(() => parseNcrontab('0 61 * * * *')).toThrow(/field 2/);
  });
});

describe('route templates', () => {
  it('matches literals case-insensitively, typed, optional and catch-all parameters', () => {
    expect(compileRoute('api/items/{id:int}/{name?}').match('API/items/7')).toEqual({ id: '7' });
    expect(compileRoute('api/items/{id:int}/{name?}').match('api/items/x')).toBeNull();
    expect(compileRoute('api/files/{*path}').match('api/files/a/b%20c.txt')).toEqual({ path: 'a/b c.txt' });
    expect(compileRoute('api/a/{b}').match('api/a/b/c')).toBeNull();
  });
  it('tells a path with a percent-escape that does not decode (answered 400, as Azure does)', () => {
    for (const bad of ['api/accounts/%C0%AF', 'api/accounts/%zz', 'api/accounts/%', 'api/%E2%82'])
      expect(malformedPath(bad)).toBe(true);
    for (const good of ['api/accounts/a%2Fb', 'api/accounts/%C3%A9', 'api/accounts/plain'])
      expect(malformedPath(good)).toBe(false);
  });
  it('ranks literal routes above parameterised ones', () => {
    expect(compileRoute('api/jobs/run').specificity).toBeGreaterThan(compileRoute('api/jobs/{id}').specificity);
  });
});

describe('package.json main globs', () => {
  it('expands single-folder and recursive globs', () => {
    const root = path.resolve(__dirname, '../../../..');
    expect(expandMain(root, 'dist/functions/*.js').every((f) => /dist\/functions\/[^/]+\.js$/.test(f))).toBe(true);
    expect(expandMain(root, 'dist/functions/**/*.js').length).toBeGreaterThan(
      expandMain(root, 'dist/functions/*.js').length,
    );
  });
  it("loads brace alternatives in order, each file once (the app's `{index.js,*.js}`)", () => {
    const root = path.resolve(__dirname, '../../../..');
    const files = expandMain(root, 'dist/functions/{index.js,*.js}');
    expect(path.basename(files[0])).toBe('index.js');
    expect(files.length).toBe(new Set(files).size);
    expect(new Set(files)).toEqual(new Set(expandMain(root, 'dist/functions/*.js')));
  });
});
