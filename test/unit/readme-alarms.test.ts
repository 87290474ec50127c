// Operations documentation stays complete: every alarm code the product can raise is in README's table of alarms,
// with what to do.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

it("README's 'Alarms and what to do' names every alarm code", () => {
  const source = fs.readFileSync(path.join(root, 'shared/domain/alarms.ts'), 'utf8');
  const union = /export type AlarmCode =([\s\S]*?);/.exec(source)![1];
  const codes = [...union.matchAll(/'([\w.]+)'/g)].map((m) => m[1]);
  expect(codes.length).toBeGreaterThan(30);
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = /### Alarms and what to do\n([\s\S]*?)\n## /.exec(readme)![1];
  expect(codes.filter((c) => !section.includes(`\`${c}\``))).toEqual([]);
});
