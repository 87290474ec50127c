// Teams' own limit on top of the router's per app + team lane: at most `requestsPerSecond` requests per app on one
// team (graph-semantics.md §2.4: 4 rps per app on any one team or channel; counted per team here, which covers its
// channels). Over it: 429 TooManyRequests with Retry-After, like every other throttled Graph call.
import { throttled } from './graph/faults';
import type { EmulatorRuntime } from './runtime';

export interface TeamsThrottleSettings {
  /** null: off. */
  requestsPerSecond: number | null;
}

interface State {
  settings: TeamsThrottleSettings;
  /** Admission times of the last second, per app|team. */
  lanes: Map<string, number[]>;
}

const states = new WeakMap<EmulatorRuntime, State>();

export function teamsThrottle(rt: EmulatorRuntime): State {
  let s = states.get(rt);
  if (!s) states.set(rt, (s = { settings: { requestsPerSecond: 4 }, lanes: new Map() }));
  return s;
}

/** Counts a request of `app` on `teamId`, or throws Graph's 429 when the team's second is full. */
export function admitTeamRequest(rt: EmulatorRuntime, app: string, teamId: string): void {
  const s = teamsThrottle(rt);
  const limit = s.settings.requestsPerSecond;
  if (limit === null) return;
  const key = `${app}|${teamId.toLowerCase()}`;
  const now = rt.clock.now();
  const times = (s.lanes.get(key) ?? []).filter((at) => at > now - 1000);
  s.lanes.set(key, times);
  if (times.length >= limit) throw throttled(Math.max(1, Math.ceil((times[0] + 1000 - now) / 1000)));
  times.push(now);
}
