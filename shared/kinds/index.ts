// The registry of protected-item kinds: the one place a new kind is added.
import type { ItemKind } from '../inventory/schemas';
import type { ProtectedKind } from './kind';
import { mailbox } from './mailbox';
import { oneDrive } from './onedrive';
import { site } from './site';
import { groupMailbox } from './group-mailbox';

const KINDS: Record<ItemKind, ProtectedKind> = { mailbox, onedrive: oneDrive, site, groupMailbox };

/** Every kind, in the order an account-wide scope adds them. */
export const KIND_IDS = Object.keys(KINDS) as ItemKind[];

export const kindOf = (item: { kind: ItemKind }): ProtectedKind => KINDS[item.kind];
