// Functions route templates: literal segments, {name}, {name?}, {name:int|long|alpha|bool|guid|...} and {*rest}.

export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | null;
  /** The same, for a path already split into its segments (matching one path against many routes). */
  matchSegments(parts: readonly string[]): Record<string, string> | null;
  /** More literal segments first, so `jobs/run` wins over `jobs/{id}`. */
  specificity: number;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  double: /^-?\d+(\.\d+)?$/,
  float: /^-?\d+(\.\d+)?$/,
  decimal: /^-?\d+(\.\d+)?$/,
  bool: /^(true|false)$/i,
  alpha: /^[a-z]+$/i,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  datetime: /^\d{4}-\d{2}-\d{2}/,
};

type Segment = { literal: string } | { name: string; catchAll: boolean; optional: boolean; constraint?: RegExp };

/** A template segment, parsed once: routes are matched on every request. */
function parseSegment(seg: string): Segment {
  const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([a-z]+))?(\?)?\}$/.exec(seg);
  if (!m) return { literal: seg.toLowerCase() };
  const [, catchAll, name, constraint, optional] = m;
  return {
    name: name,
    catchAll: !!catchAll,
    optional: !!optional,
    ...(constraint && CONSTRAINTS[constraint] ? { constraint: CONSTRAINTS[constraint] } : {}),
  };
}

export const pathSegments = (path: string): string[] => path.split('/').filter(Boolean);

/**
 * Whether a path holds a percent-escape that does not decode (`%zz`, a lone `%`, `%C0%AF`, which is not UTF-8).
 * Azure's front end answers such a request 400 before any function runs; matching would otherwise throw.
 */
export function malformedPath(path: string): boolean {
  try {
    for (const segment of pathSegments(path)) decodeURIComponent(segment);
    return false;
  } catch {
    return true;
  }
}

export function compileRoute(template: string): CompiledRoute {
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean)
    .map(parseSegment);
  const literal = segments.filter((s) => 'literal' in s).length;
  return {
    template,
    specificity: literal * 100 + segments.length,
    match(path) {
      return this.matchSegments(pathSegments(path));
    },
    matchSegments(parts) {
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i];
        if ('literal' in seg) {
          if (parts[i]?.toLowerCase() !== seg.literal) return null;
          continue;
        }
        if (seg.catchAll) {
          params[seg.name] = parts.slice(i).map(decodeURIComponent).join('/');
          return params;
        }
        const value = parts[i];
        if (value === undefined) {
          if (seg.optional && i === segments.length - 1) return params;
          return null;
        }
        const decoded = decodeURIComponent(value);
        if (seg.constraint && !seg.constraint.test(decoded)) return null;
        params[seg.name] = decoded;
      }
      return parts.length === segments.length ? params : null;
    },
  };
}
