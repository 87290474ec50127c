import fs from 'node:fs';
import path from 'node:path';
import { bicepFilesUnder, bicepSyntaxErrors, formatBicepError } from '../support/bicep-parse';

const root = path.resolve(__dirname, '../../..');
const infra = path.join(root, 'infra');

describe('infrastructure templates: Bicep syntax (tree-sitter-bicep grammar; no Bicep compiler runs here)', () => {
  it('parses every .bicep file under infra/ without a syntax error', async () => {
    const files = bicepFilesUnder(infra);
    expect(files.map((f) => path.relative(infra, f))).toEqual(
      expect.arrayContaining(['main.bicep', path.join('modules', 'storage.bicep')]),
    );
    const problems: string[] = [];
    for (const f of files) {
      const rel = path.relative(root, f).split(path.sep).join('/');
      for (const e of await bicepSyntaxErrors(fs.readFileSync(f, 'utf8'))) problems.push(formatBicepError(rel, e));
    }
    expect(problems).toEqual([]);
  });

  describe('the check itself', () => {
    const head = "param location string = 'westeurope'\n\n";
    const account = "resource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n";

    it('passes valid Bicep of the kinds the templates use', async () => {
      const valid = [
        "targetScope = 'subscription'",
        '',
        '@minLength(1)',
        "@description('Name.')",
        "@allowed([\n  'a'\n  'b'\n])",
        'param name string',
        "param tags object = { 'azd-env-name': name }",
        'param days int = 0',
        "var abbrs = loadJsonContent('./abbreviations.json')",
        'var pairs = flatten(map([1, 2], p => map([3], r => { principal: p, role: r })))',
        "var text = '''\nspans 'lines'\n'''",
        "var maybe = tags.?owner ?? 'nobody'",
        "resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {\n  name: '${abbrs.rg}${name}'\n  location: 'westeurope'\n  tags: union(tags, { x: 'y' })\n}",
        "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' existing = { name: name }",
        "resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (p, i) in pairs: {\n  name: guid(kv.id, string(i))\n  scope: kv\n}]",
        "resource lock 'Microsoft.Authorization/locks@2020-05-01' = if (days > 0) {\n  name: 'lock'\n  properties: { level: 'CanNotDelete', notes: 'it\\'s locked' }\n}",
        "module m 'modules/m.bicep' = {\n  name: 'm'\n  scope: rg\n  params: { name: name, flag: days > 0 ? true : false }\n}",
        '@export()\ntype pair = { principal: string, role: string? }',
        'output id string = rg.id',
        'output url string = m.outputs.url',
      ].join('\n');
      expect(await bicepSyntaxErrors(`${valid}\n`)).toEqual([]);
    });

    // Each snippet starts with two lines of `head`: its mistake is on the line given.
    it.each([
      [
        'an unclosed brace',
        `${head}${account}  name: 'x'\n  location: location\n\noutput id string = sa.id\n`,
        3,
        /syntax error/,
      ],
      ['an unclosed brace at the end of the file', `${head}${account}  name: 'x'\n  location: location\n`, 3, /"}"/],
      ['a stray token in a resource body', `${head}${account}  name: 'x'\n  location: location )\n}\n`, 5, /"\)"/],
      ['a missing colon in a resource body', `${head}${account}  name: 'x'\n  kind 'StorageV2'\n}\n`, 5, /kind/],
      ['a missing = in a param default', `${head}param sku string 'Standard_LRS'\n\nvar x = 1\n`, 3, /string/],
      ['an unterminated string', `${head}var greeting = 'hello\n\nvar x = 1\n`, 3, /'hello/],
      [
        'a single-quoted string broken across lines (the grammar alone takes it)',
        `${head}var a = 'abc\nvar b = 'x'\n`,
        3,
        /not closed on its line/,
      ],
      ['an unterminated string at the end of the file', `${head}var x = 1\nvar greeting = 'hello\n`, 4, /'/],
    ])('reports %s at its line', async (_name, source, line, what) => {
      const errors = await bicepSyntaxErrors(source);
      const shown = errors.map((e) => formatBicepError('snippet.bicep', e));
      // The line of the problem, or of the construct it leaves unfinished ("missing "}" (in the object from 3:62)").
      const atLine = shown.filter((s) => s.startsWith(`snippet.bicep:${line}:`) || s.includes(`from ${line}:`));
      expect({ shown, found: atLine.some((s) => what.test(s)) }).toMatchObject({ found: true });
    });
  });
});
