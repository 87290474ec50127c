// Outlook item ids. Exchange ids are base64 of a binary entry id (messages start "AAMk"), ~150 characters, and change
// when an item moves. Ours carry (mailbox, kind, container, index, serial, sub) in that binary, so an id resolves to
// the inputs that generate its item without any lookup table: a 100k-message mailbox needs no id index in memory.
// An immutable id (Prefer: IdType="ImmutableId", "AAkALg…" as Exchange's) carries the same fields of the item as it was
// created, under another marker: it never changes while the item stays in its mailbox (mail/mailbox.ts maps moved ones).
import { hashOf } from './seeded';

export enum ItemKind {
  folder = 1,
  message = 2,
  attachment = 3,
  event = 4,
  occurrence = 5,
  contact = 6,
  contactFolder = 7,
  calendar = 8,
  /** A Microsoft 365 group mailbox's conversations, threads and posts (group-mailboxes/model.ts). */
  conversation = 9,
  thread = 10,
  post = 11,
}

export interface ItemRef {
  /** 16 bytes identifying the mailbox (a hash of tenant seed and user id). */
  mailbox: Buffer;
  kind: ItemKind;
  /** The folder / calendar / contact folder the item lives in (its index in the mailbox). */
  container: number;
  /** Base items: index of the generated item. Client-created items: 0. */
  index: number;
  /** 0 for generated items; for created (and moved) items the change sequence that created them. */
  serial: number;
  /** Attachment number, occurrence number. */
  sub: number;
}

const MAGIC = Buffer.from([0x00, 0x03, 0x24]); // "AAMk" once base64-encoded, as Exchange ids begin
const IMMUTABLE_MAGIC = Buffer.from([0x00, 0x09, 0x00]); // "AAkA…": Exchange's immutable ids begin "AAkALg"
const FIXED = 3 + 16 + 1 + 4 + 4 + 4 + 2; // magic, mailbox, kind, container, index, serial, sub
const CHECK = 4;
const LENGTH = 113; // 113 bytes = 151 base64 characters + one "=": clients must cope with padding in path segments

export function encodeItemId(ref: ItemRef, immutable = false): string {
  return `${encodeBinary(ref, immutable).toString('base64url')}=`;
}

/** The binary behind an id (what translateExchangeIds calls the entry id, with the mailbox in front). */
export function encodeBinary(ref: ItemRef, immutable: boolean): Buffer {
  const out = Buffer.alloc(LENGTH);
  (immutable ? IMMUTABLE_MAGIC : MAGIC).copy(out, 0);
  ref.mailbox.copy(out, 3, 0, 16);
  out.writeUInt8(ref.kind, 19);
  out.writeUInt32BE(ref.container, 20);
  out.writeUInt32BE(ref.index, 24);
  out.writeUInt32BE(ref.serial, 28);
  out.writeUInt16BE(ref.sub, 32);
  const mac = hashOf(out.subarray(0, FIXED).toString('hex'));
  mac.copy(out, FIXED, 0, CHECK);
  // The rest mimics the opaque tail of an entry id; derived from the fields so ids are stable.
  for (let off = FIXED + CHECK, i = 0; off < LENGTH; off += 32, i++)
    hashOf(mac.toString('hex'), i).copy(out, off, 0, Math.min(32, LENGTH - off));
  return out;
}

/** The reference inside an id, or undefined for anything that is not one of ours (never throws). */
export function decodeItemId(id: string): ItemRef | undefined {
  const hit = decodeAnyItemId(id);
  return hit && !hit.immutable ? hit.ref : undefined;
}

/** The reference inside a REST or an immutable id, and which of the two it is. */
export function decodeAnyItemId(id: string): { ref: ItemRef; immutable: boolean } | undefined {
  if (id.length !== 152 || !id.endsWith('=')) return undefined;
  return decodeBinary(Buffer.from(id.slice(0, -1), 'base64url'));
}

export function decodeBinary(raw: Buffer): { ref: ItemRef; immutable: boolean } | undefined {
  if (raw.length !== LENGTH) return undefined;
  const immutable = raw.subarray(0, 3).equals(IMMUTABLE_MAGIC);
  if (!immutable && !raw.subarray(0, 3).equals(MAGIC)) return undefined;
  if (
    !hashOf(raw.subarray(0, FIXED).toString('hex'))
      .subarray(0, CHECK)
      .equals(raw.subarray(FIXED, FIXED + CHECK))
  )
    return undefined;
  return {
    immutable,
    ref: {
      mailbox: raw.subarray(3, 19),
      kind: raw.readUInt8(19),
      container: raw.readUInt32BE(20),
      index: raw.readUInt32BE(24),
      serial: raw.readUInt32BE(28),
      sub: raw.readUInt16BE(32),
    },
  };
}

/** The immutable id of an item that never moved (the same fields under the immutable marker). */
export function immutableOf(restId: string): string {
  const ref = decodeItemId(restId);
  return ref ? encodeItemId(ref, true) : restId;
}

/** A mailbox's 16-byte key. */
export const mailboxKeyOf = (tenantSeed: string, userId: string): Buffer =>
  hashOf(tenantSeed, 'mailbox', userId).subarray(0, 16);
