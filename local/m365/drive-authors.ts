// Who created and last changed a drive item, as Graph renders it (driveItem createdBy / lastModifiedBy identitySets):
// a OneDrive's items are its owner's; a library's, a licensed member's of the tenant, chosen from (seed, drive, item),
// so the same item always names the same person. Nobody's name changes with a version: control-API edits are theirs.
import type { Drive, DriveItem } from './files';
import { rng } from './tenant/seeded';

type IdentitySet = { user: { id: string; displayName: string; email: string | null } };

export function authorship(d: Drive, item: DriveItem): { createdBy: IdentitySet; lastModifiedBy: IdentitySet } {
  const t = d.tenant;
  const owner = d.ownerId ? t.user(d.ownerId) : undefined;
  const members = [...t.directory.users.all()].filter((u) => u.licensed);
  const person = owner ?? members[Math.floor(rng(t.seed, d.id, item.id, 'author')() * members.length)];
  const by: IdentitySet = person
    ? { user: { id: person.id, displayName: person.displayName, email: person.mail } }
    : { user: { id: '', displayName: 'System Account', email: null } };
  return { createdBy: by, lastModifiedBy: by };
}
