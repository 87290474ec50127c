// Which recovery points may be browsed, searched, exported, restored or compared: one rule for every API.
import type { PointStatus, RecoveryPointDoc } from './points-store';

/**
 * A point still being written is incomplete, a failed one holds nothing dependable, and one retention chose is on
 * its way out (no new operation may start from it); every other outcome is usable.
 */
const UNUSABLE: ReadonlySet<PointStatus> = new Set(['running', 'failed', 'pruning']);

export class InvalidRecoveryPoint extends Error {
  constructor(seq: number, itemName: string) {
    super(`Recovery point ${seq} of '${itemName}' is not a valid recovery point.`);
  }
}

/** The point `seq` among an item's points, or InvalidRecoveryPoint when it does not exist or may not be used. */
export function usablePoint(points: readonly RecoveryPointDoc[], seq: number, itemName: string): RecoveryPointDoc {
  const point = points.find((p) => p.seq === seq);
  if (!point || UNUSABLE.has(point.status)) throw new InvalidRecoveryPoint(seq, itemName);
  return point;
}
