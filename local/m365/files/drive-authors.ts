// Who created and last changed a drive item, as Graph renders it (driveItem createdBy / lastModifiedBy identitySets):
// a OneDrive's items are its owner's; a library's, one of the tenant's generated people (licensed members, cached)
// chosen from (seed, drive, item), so the same item always names the same person. Control-API edits keep the names.
import type { Drive, DriveItem } from './model';
import { rng } from '../tenant/seeded';

type IdentitySet = { user: { id: string; displayName: string; email: string | null } };

export function authorship(d: Drive, item: DriveItem): { createdBy: IdentitySet; lastModifiedBy: IdentitySet } {
  const t = d.tenant;
  const people = t.directory.correspondents();
  const person =
    (d.ownerId ? t.user(d.ownerId) : undefined) ??
    people[Math.floor(rng(t.seed, d.id, item.id, 'author')() * people.length)];
  const by: IdentitySet = person
    ? { user: { id: person.id, displayName: person.displayName, email: person.mail } }
    : { user: { id: '', displayName: 'System Account', email: null } };
  return { createdBy: by, lastModifiedBy: by };
}
