// The product's configuration, read from app settings (Azure) or the environment (local stack), validated once.
// In Azure every store is reached with the app's managed identity; keys and connection strings exist only for the
// local emulators. Errors name the setting, never its value.
import { z } from 'zod';

const url = z.url();

export const settingsSchema = z
  .object({
    /** Backup repository: an account URL (managed identity) or, for Azurite, a connection string. */
    M365V_STORAGE_ACCOUNT_URL: url.optional(),
    M365V_STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
    M365V_COSMOS_ENDPOINT: url,
    M365V_COSMOS_DATABASE: z.string().min(1).default('m365vault'),
    M365V_COSMOS_KEY: z.string().min(1).optional(),
    /** PEM file of a self-signed certificate the Cosmos endpoint presents (local stand-in only). */
    M365V_COSMOS_CA_CERT_FILE: z.string().min(1).optional(),
    M365V_KEYVAULT_URL: url.optional(),
    /** Local development only: a JSON file mapping secret names to values, used when no Key Vault is configured. */
    M365V_LOCAL_SECRETS_FILE: z.string().min(1).optional(),
    M365V_GRAPH_BASE_URL: url.default('https://graph.microsoft.com/v1.0'),
    M365V_AUTHORITY_HOST: url.default('https://login.microsoftonline.com'),
    /** PEM file of a self-signed certificate the Graph/Entra endpoints present (Microsoft 365 emulator only). */
    M365V_GRAPH_CA_CERT_FILE: z.string().min(1).optional(),
    /** The tenant of the API's app registration, as a GUID: token issuers and `tid` name it so. */
    M365V_API_TENANT_ID: z.guid('must be the tenant id (a GUID)').optional(),
    /** Accepted token audiences, comma-separated: the Application ID URI (v1.0 tokens) and/or the client id (v2.0). */
    M365V_API_AUDIENCE: z.string().min(1).optional(),
    /**
     * Proxies of the deployment's own in front of the Function App (Front Door, API Management): the audit trail
     * records the X-Forwarded-For entry this many hops before the last, the one such a proxy appended.
     */
    M365V_TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
    /** How long one sync activity works before checkpointing and handing back to its orchestrator. */
    M365V_SYNC_TIME_BOX_SECONDS: z.coerce.number().int().min(5).max(540).default(240),
    /**
     * Files at least this big are downloaded across as many sync activities as they need, each resuming with a
     * ranged read where the last stopped; smaller ones are read whole (and gzip-compressed when worth it).
     */
    M365V_RESUMABLE_FILE_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .default(256 * 1024 * 1024),
    /**
     * Containers Graph offers no delta for (group conversations) are read from a watermark, which sees new and changed
     * threads but not deleted ones: every this many runs, or once the last full listing is this many days old, one
     * is listed whole and what is gone is recorded as deleted.
     */
    M365V_RECONCILE_EVERY_RUNS: z.coerce.number().int().min(1).max(1000).default(7),
    M365V_RECONCILE_AFTER_DAYS: z.coerce.number().min(0).max(365).default(7),
    /**
     * Retention's grace period: a point it chose is removed, and content it condemned is deleted, only this long
     * after. Must exceed the longest backup step (shared/retention/COLLECTION.md); a day by default.
     */
    M365V_RETENTION_GRACE_SECONDS: z.coerce.number().int().min(0).default(86_400),
    /**
     * Days the deployment's own content container keeps content immutable (infra's immutabilityDays; 0: none).
     * Retention extends the lock of content still in use so it always has this long left.
     */
    M365V_CONTENT_IMMUTABILITY_DAYS: z.coerce.number().int().min(0).max(146_000).default(0),
    /** User-assigned managed identity to use for Azure services. */
    AZURE_CLIENT_ID: z.string().min(1).optional(),
  })
  .refine((s) => s.M365V_STORAGE_ACCOUNT_URL || s.M365V_STORAGE_CONNECTION_STRING, {
    message: 'set M365V_STORAGE_ACCOUNT_URL (Azure) or M365V_STORAGE_CONNECTION_STRING (Azurite)',
    path: ['M365V_STORAGE_ACCOUNT_URL'],
  });

export type Settings = z.infer<typeof settingsSchema>;

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

/** Validates the given environment; the message lists each bad setting by name and says why, without its value. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigurationError(parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`));
}
