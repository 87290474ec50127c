// What the preflight tests share: the permissions an all-green app holds, and a new app registration in the emulator.
import { GRAPH_OPERATIONS } from '../../shared/domain/graph-permissions';
import { PURPOSES, WORKLOAD_PERMISSIONS } from '../../shared/preflight/permissions';
import { GraphTestBed, uniqueName } from './support';

/** Every permission the table asks for, least privileged: an app granted exactly these is all green. */
export const EVERYTHING = [
  ...new Set(
    WORKLOAD_PERMISSIONS.flatMap((w) => PURPOSES.flatMap((p) => w.needs[p].map((op) => GRAPH_OPERATIONS[op].anyOf[0]))),
  ),
];

export async function newApp(
  bed: GraphTestBed,
  graphRoles: string[],
): Promise<{ clientId: string; clientSecret: string }> {
  return (
    await bed.t.control<{ clientId: string; clientSecret: string }>('POST', 'apps', {
      displayName: uniqueName('preflight app'),
      graphRoles,
    })
  ).body;
}
