// The shapes of the ids the API accepts, checked at the edge: an id that reaches Cosmos DB as a document id with
// `/`, `\`, `#` or `?` in it is refused there with a 500 ("Illegal characters ... in Resource ID"), and one that
// reaches a query or an error message unchecked carries whatever a caller put in it.
import { z } from 'zod';

/** Ids the product issues (GUIDs, `<account>.<kind>.<user>`): one path segment, and a valid Cosmos document id. */
export const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
export const productId = z.string().regex(PRODUCT_ID, 'not an id this API issues');

/** A user, group or service principal of Microsoft Entra ID. */
export const entraObjectId = z.uuid('must be an Entra object id (a GUID)');

/**
 * Ids Microsoft Graph issues for folders and items: base64 or base64url of Exchange entry ids (with `=` padding),
 * OneDrive item ids. They only ever reach a query as parameters, but nothing else has their shape.
 */
export const graphId = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9+/=_!.-]+$/, 'not a Microsoft Graph id');
