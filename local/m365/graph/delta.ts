// The HTTP side of every delta function: reads the state token from the link the client followed (or the first
// request's options), asks the change log for a page, and renders Graph's response — @odata.nextLink with $skiptoken
// or @odata.deltaLink with $deltatoken (drive/list use `token=`), the first request's options carried inside the
// tokens, 410 for expired or unknown tokens.
import {
  ChangeLog,
  DeltaChange,
  DeltaOptions,
  DeltaToken,
  decodeDeltaToken,
  deltaPage,
  encodeDeltaToken,
  latestToken,
} from '../tenant/change-log';
import { GraphError } from './errors';
import { option, pageSizeOf, selectOf } from './odata';
import { SelectableType, selectFor } from './schema';
import { GraphContext, GraphResult, ok } from './router';

export interface DeltaSpec<T extends { id: string }> {
  log: ChangeLog<T>;
  /** Path of the delta function as it appears in links, e.g. `/users/{id}/mailFolders('{fid}')/messages/delta`. */
  linkPath: string;
  /** 'odata': $skiptoken/$deltatoken; 'token': ?token= for both (drive and list delta). */
  tokenStyle?: 'odata' | 'token';
  /** @odata.context of the response. */
  context: string;
  pageSize: { fallback: number; max: number };
  /** JSON entries for one change (calendar expands a series into instances; most give one entry). */
  render(change: DeltaChange<T>, options: DeltaOptions): unknown[];
  expired(): GraphError;
  /** `$deltaToken=latest` / `token=latest` ("sync from now") is supported. */
  latest?: boolean;
  /** Names of custom query options fixed by the first request (e.g. changeType, startDateTime). */
  roundParams?: string[];
  /** Ignore $select (calendarView delta does not support it). */
  noSelect?: boolean;
  /** The type $select names properties of (checked: an unknown one is a 400); unchecked when absent. */
  selectType?: SelectableType;
  /** Token lifetime (directory: 7 days); older tokens are expired. Outlook tokens have none (evicted via control). */
  maxAgeSeconds?: number;
  /** Page sizes count rendered entries (a series' instances), not changes: a change may be split across pages. */
  countEntries?: boolean;
}

export function deltaResponse<T extends { id: string }>(ctx: GraphContext, spec: DeltaSpec<T>): GraphResult {
  const style = spec.tokenStyle ?? 'odata';
  const raw =
    style === 'odata'
      ? (option(ctx.query, '$skiptoken') ?? option(ctx.query, '$deltatoken'))
      : option(ctx.query, 'token');
  const first = firstOptions(ctx, spec);
  const token = raw !== undefined && raw !== 'latest' ? decodeDeltaToken(raw) : undefined;
  const weigh = spec.countEntries
    ? (c: DeltaChange<T>): number => spec.render(c, (token ? token.o : first) ?? {}).length
    : undefined;
  let page: ReturnType<typeof deltaPage<T>>;
  if (raw === 'latest') {
    if (!spec.latest) throw spec.expired();
    page = { expired: false, changes: [], delta: latestToken(spec.log, first) };
  } else if (raw !== undefined) {
    if (!token) throw spec.expired();
    if (spec.maxAgeSeconds !== undefined && (token.at ?? 0) + spec.maxAgeSeconds * 1000 < ctx.emulator.clock.now())
      throw spec.expired();
    // A $top the first request fixed (a round param, e.g. Teams') keeps sizing the pages its links lead to.
    page = deltaPage(
      spec.log,
      token,
      pageSizeOf(ctx, Number(token.o?.params?.$top) || spec.pageSize.fallback, spec.pageSize.max),
      undefined,
      weigh,
    );
  } else {
    page = deltaPage(spec.log, undefined, pageSizeOf(ctx, spec.pageSize.fallback, spec.pageSize.max), first, weigh);
  }
  if (page.expired) throw spec.expired();
  const options = (page.next ?? page.delta)?.o ?? {};
  const stamp = (t: DeltaToken): string => encodeDeltaToken({ ...t, at: ctx.emulator.clock.now() });
  const link = (kind: 'next' | 'delta', token: string): string => {
    const name = style === 'token' ? 'token' : kind === 'next' ? '$skiptoken' : '$deltatoken';
    return `${ctx.baseUrl}${spec.linkPath}?${name}=${token}`;
  };
  return ok({
    '@odata.context': `${ctx.baseUrl}/$metadata#${spec.context}`,
    ...(page.next
      ? { '@odata.nextLink': link('next', stamp(page.next)) }
      : { '@odata.deltaLink': link('delta', stamp(page.delta!)) }),
    value: page.changes.flatMap((c) =>
      c.slice ? spec.render(c, options).slice(c.slice.from, c.slice.to) : spec.render(c, options),
    ),
  });
}

function firstOptions<T extends { id: string }>(ctx: GraphContext, spec: DeltaSpec<T>): DeltaOptions | undefined {
  // Checked even where it is then ignored: the name is parsed against the type before the function runs.
  const selected = spec.selectType ? selectFor(ctx, spec.selectType) : selectOf(ctx.query);
  const select = spec.noSelect ? undefined : selected;
  const changeType = option(ctx.query, 'changeType');
  if (changeType && !['created', 'updated', 'deleted'].includes(changeType))
    throw new GraphError(
      400,
      'ErrorInvalidUrlQuery',
      `The value '${changeType}' of the changeType parameter is invalid.`,
    );
  const params: Record<string, string> = {};
  for (const name of spec.roundParams ?? []) {
    const v = option(ctx.query, name);
    if (v !== undefined) params[name] = v;
  }
  const o: DeltaOptions = {
    ...(select ? { select } : {}),
    ...(changeType ? { changeType: changeType as DeltaOptions['changeType'] } : {}),
    ...(Object.keys(params).length ? { params } : {}),
  };
  return Object.keys(o).length ? o : undefined;
}

/** `{"id":…, "@removed":{"reason":…}}` with the resource's @odata.type. */
export const removedEntry = (odataType: string | undefined, id: string, reason: string): Record<string, unknown> => ({
  ...(odataType ? { '@odata.type': odataType } : {}),
  id,
  '@removed': { reason },
});

/** 410 of drive and list delta: start over from `location` (an empty token), the server's version wins. */
export const resyncChanges = (location: string): GraphError =>
  new GraphError(
    410,
    'resyncRequired',
    "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd.",
    { headers: { Location: location }, innerCode: 'resyncChangesApplyDifferences' },
  );
