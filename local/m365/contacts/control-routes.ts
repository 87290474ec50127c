// Control API for contacts, as the mailbox's owner would change them in Outlook: contacts added, changed, moved
// between contact folders, removed.
import { z } from 'zod';
import { ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';
import { mailboxOf } from '../mail/control-routes';
import { immutableIdOf, Mailbox } from '../mail/mailbox';
import { changeKeyOf } from '../mail/message';

/** A contact folder by id or name; none (or 'contacts') is the default Contacts folder. */
function contactFolderOf(mb: Mailbox, idOrName?: string): string {
  if (!idOrName || idOrName.toLowerCase() === 'contacts') return mb.contactsRootId;
  const f = [...mb.contactFolders.all()].find(
    (x) => x.id === idOrName || x.displayName.toLowerCase() === idOrName.toLowerCase(),
  );
  if (!f) throw new ControlError(404, `no contact folder '${idOrName}'`);
  return f.id;
}

registerControlRoutes([
  {
    method: 'POST',
    path: '/contacts/{user}/contacts',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const b = await input(
        ctx,
        z.object({ folder: z.string().optional(), displayName: z.string().min(1), email: z.string().optional() }),
      );
      const folderId = contactFolderOf(mb, b.folder);
      const [givenName, ...rest] = b.displayName.split(' ');
      const c = mb.createContact(folderId, (id, now) => ({
        id,
        createdDateTime: now,
        lastModifiedDateTime: now,
        changeKey: changeKeyOf(id, now),
        categories: [],
        parentFolderId: folderId,
        birthday: null,
        fileAs: b.displayName,
        displayName: b.displayName,
        givenName: givenName ?? null,
        surname: rest.join(' ') || null,
        middleName: null,
        nickName: null,
        title: null,
        jobTitle: null,
        companyName: null,
        department: null,
        officeLocation: null,
        businessHomePage: null,
        personalNotes: '',
        mobilePhone: null,
        businessPhones: [],
        homePhones: [],
        imAddresses: [],
        emailAddresses: b.email ? [{ name: b.displayName, address: b.email }] : [],
        businessAddress: {},
        homeAddress: {},
        otherAddress: {},
      }))!;
      return controlJson(201, { id: c.id, immutableId: immutableIdOf(c) });
    },
  },
  {
    method: 'POST',
    path: '/contacts/{user}/contacts/{id}/move',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { to } = await input(ctx, z.object({ to: z.string() }));
      const moved = mb.moveContact(ctx.params.id, contactFolderOf(mb, to));
      if (!moved) throw new ControlError(404, `no contact '${ctx.params.id}'`);
      return controlJson(200, {
        id: moved.id,
        immutableId: immutableIdOf(moved),
        parentFolderId: moved.parentFolderId,
      });
    },
  },
  {
    method: 'PATCH',
    path: '/contacts/{user}/contacts/{id}',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const hit = mb.findContact(ctx.params.id);
      if (!hit) throw new ControlError(404, `no contact '${ctx.params.id}'`);
      const patch = await input(
        ctx,
        z
          .object({
            displayName: z.string().optional(),
            jobTitle: z.string().optional(),
            companyName: z.string().optional(),
            personalNotes: z.string().optional(),
          })
          .strict(),
      );
      const now = new Date(ctx.emulator.clock.now()).toISOString();
      hit.log.update(
        { ...hit.contact, ...patch, lastModifiedDateTime: now, changeKey: changeKeyOf(hit.contact.id, now) },
        Object.keys(patch),
      );
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/contacts/{user}/contacts/{id}',
    handler(ctx) {
      const hit = mailboxOf(ctx).findContact(ctx.params.id);
      if (!hit) throw new ControlError(404, `no contact '${ctx.params.id}'`);
      hit.log.remove(hit.contact.id);
      return { status: 204 };
    },
  },
]);
