// OData query options as Graph applies them: $select (id always kept), $top and Prefer: odata.maxpagesize, paging
// of plain lists with an opaque $skiptoken, and the $filter subset a backup needs (comparisons, and/or/not,
// startswith, any(), navigation paths like from/emailAddress/address). Unsupported filters are a 400, as in Graph.
import { GraphError } from './errors';
import { textOf } from '../../../shared/domain/text';
import type { GraphContext } from './router';

/** Query option by name, case-insensitively ($deltaToken and $deltatoken both appear in Graph docs). */
export function option(query: URLSearchParams, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of query) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** Prefer header preferences: odata.maxpagesize=2, return=minimal, outlook.body-content-type="text". */
export function preferences(ctx: Pick<GraphContext, 'headers'>): Map<string, string> {
  const raw = ctx.headers.prefer;
  const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  const out = new Map<string, string>();
  for (const part of text.split(/[,;]/)) {
    const [k, v] = part.split('=');
    if (k?.trim()) out.set(k.trim().toLowerCase(), (v ?? '').trim().replace(/^"|"$/g, ''));
  }
  return out;
}

export function selectOf(query: URLSearchParams): string[] | undefined {
  const s = option(query, '$select');
  return s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;
}

/** Properties Graph returns whatever $select says. */
const ALWAYS = new Set(['id', '@odata.type', '@odata.etag', '@removed']);

export function applySelect(
  obj: Record<string, unknown>,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  if (!select) return obj;
  const keep = new Set(select.map((s) => s.toLowerCase()));
  return Object.fromEntries(Object.entries(obj).filter(([k]) => ALWAYS.has(k) || keep.has(k.toLowerCase())));
}

/** Page size from Prefer: odata.maxpagesize, then $top, then the resource's default; at most `max`. */
export function pageSizeOf(ctx: Pick<GraphContext, 'headers' | 'query'>, fallback: number, max: number): number {
  const prefer = Number(preferences(ctx).get('odata.maxpagesize'));
  const top = Number(option(ctx.query, '$top'));
  const n = prefer > 0 ? prefer : top > 0 ? top : fallback;
  return Math.max(1, Math.min(max, Math.floor(n)));
}

interface ListToken {
  o: number;
  q: string;
}

/**
 * One page of a plain (non-delta) collection: `items` from the offset in $skiptoken; the nextLink carries the
 * original query options so the client follows it verbatim.
 */
export function listPage<T>(
  ctx: GraphContext,
  all: readonly T[],
  opts: { fallback: number; max: number; path?: string; filterView?: (item: T) => unknown },
): { page: T[]; nextLink?: string } {
  // Records carry Graph's property names, so $filter applies to them as to the JSON (or to what filterView adds).
  const filter = filterOf(ctx.query);
  const view = opts.filterView ?? ((x: T): unknown => x);
  const items = filter ? all.filter((x) => filter(view(x))) : all;
  const token = option(ctx.query, '$skiptoken');
  let state: ListToken = {
    o: 0,
    q: [...ctx.query]
      .filter(([k]) => k.toLowerCase() !== '$skiptoken')
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&'),
  };
  if (token) {
    try {
      state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ListToken;
    } catch {
      throw new GraphError(400, 'BadRequest', 'The provided $skiptoken is invalid.');
    }
  }
  const size = pageSizeOf(ctx, opts.fallback, opts.max);
  const page = items.slice(state.o, state.o + size);
  if (state.o + size >= items.length) return { page };
  const next = Buffer.from(JSON.stringify({ ...state, o: state.o + size })).toString('base64url');
  return { page, nextLink: `${ctx.baseUrl}${opts.path ?? ctx.path}?${state.q ? `${state.q}&` : ''}$skiptoken=${next}` };
}

// ---- $filter --------------------------------------------------------------------------------------------------

type Value = string | number | boolean | null;
type Expr =
  | { op: 'and' | 'or'; left: Expr; right: Expr }
  | { op: 'not'; expr: Expr }
  | { op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; path: string; value: Value }
  | { op: 'startswith'; path: string; value: string }
  | { op: 'any'; path: string; variable: string; expr: Expr };

const TOKEN =
  /\s*(\(|\)|,|'(?:[^']|'')*'|[A-Za-z_$][\w$/.@]*(?:\s*:\s*[A-Za-z_][\w$/.@]*)?|-?\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)?|-?\d+(?:\.\d+)?)/y;

function tokenize(text: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw unsupported(text);
    out.push(m[1]);
    at = TOKEN.lastIndex;
  }
  return out;
}

const unsupported = (text: string): GraphError =>
  new GraphError(400, 'BadRequest', `Invalid filter clause: the query option '${text}' is not supported.`);

function literal(t: string): Value {
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (/^\d{4}-\d\d-\d\dT/.test(t)) return t;
  throw new GraphError(400, 'BadRequest', `Invalid filter clause: unexpected '${t}'.`);
}

export function parseFilter(text: string): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (expected?: string): string => {
    const t = tokens[i++];
    if (t === undefined || (expected && t.toLowerCase() !== expected)) throw unsupported(text);
    return t;
  };
  const primary = (): Expr => {
    const t = take();
    if (t === '(') {
      const e = or();
      take(')');
      return e;
    }
    if (t.toLowerCase() === 'not') return { op: 'not', expr: primary() };
    if (t.toLowerCase() === 'startswith') {
      take('(');
      const path = take();
      take(',');
      const value = literal(take());
      take(')');
      return { op: 'startswith', path, value: String(value) };
    }
    const any = /^(.*)\/any$/i.exec(t);
    if (any) {
      take('(');
      // "c:c eq 'x'" or "ep: ep/id eq 'x'": the lambda variable, then the body, whose first token shares its token.
      const [variable, first] = take().split(/\s*:\s*/);
      if (!variable || !first) throw unsupported(text);
      tokens[--i] = first;
      const expr = or();
      take(')');
      return { op: 'any', path: any[1], variable: variable, expr };
    }
    const op = take().toLowerCase();
    if (!['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op)) throw unsupported(text);
    return { op: op as 'eq', path: t, value: literal(take()) };
  };
  const and = (): Expr => {
    let left = primary();
    while (peek()?.toLowerCase() === 'and') {
      take();
      left = { op: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): Expr => {
    let left = and();
    while (peek()?.toLowerCase() === 'or') {
      take();
      left = { op: 'or', left, right: and() };
    }
    return left;
  };
  const e = or();
  if (i !== tokens.length) throw unsupported(text);
  return e;
}

function resolve(obj: unknown, path: string, scope: Record<string, unknown>): unknown {
  const [head, ...rest] = path.split('/');
  let cur: unknown = head in scope ? scope[head] : (obj as Record<string, unknown> | null)?.[head];
  for (const p of rest) cur = (cur as Record<string, unknown> | null | undefined)?.[p];
  return cur;
}

function compare(a: unknown, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const da = Date.parse(a);
    const db = Date.parse(b);
    if (/^\d{4}-\d\d-\d\dT/.test(b) && !Number.isNaN(da) && !Number.isNaN(db)) return da - db;
    return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
  }
  return (a as number) - (b as number);
}

export function matches(e: Expr, obj: unknown, scope: Record<string, unknown> = {}): boolean {
  switch (e.op) {
    case 'and':
      return matches(e.left, obj, scope) && matches(e.right, obj, scope);
    case 'or':
      return matches(e.left, obj, scope) || matches(e.right, obj, scope);
    case 'not':
      return !matches(e.expr, obj, scope);
    case 'startswith':
      return textOf([resolve(obj, e.path, scope)])
        .toLowerCase()
        .startsWith(e.value.toLowerCase());
    case 'any': {
      const list: unknown = resolve(obj, e.path, scope);
      return (
        Array.isArray(list) && (list as unknown[]).some((x) => matches(e.expr, obj, { ...scope, [e.variable]: x }))
      );
    }
    default: {
      const v = resolve(obj, e.path, scope);
      if (e.op === 'eq')
        return e.value === null
          ? v === null || v === undefined
          : typeof v === 'string' && typeof e.value === 'string'
            ? compare(v, e.value) === 0
            : v === e.value;
      if (e.op === 'ne')
        return e.value === null
          ? v !== null && v !== undefined
          : typeof v === 'string' && typeof e.value === 'string'
            ? compare(v, e.value) !== 0
            : v !== e.value;
      if (v === undefined || v === null) return false;
      const c = compare(v, e.value);
      return e.op === 'gt' ? c > 0 : e.op === 'ge' ? c >= 0 : e.op === 'lt' ? c < 0 : c <= 0;
    }
  }
}

/** A predicate for ?$filter=, or undefined when there is none. */
export function filterOf(query: URLSearchParams): ((obj: unknown) => boolean) | undefined {
  const text = option(query, '$filter');
  if (!text) return undefined;
  const e = parseFilter(text);
  return (obj) => matches(e, obj);
}
