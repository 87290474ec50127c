// Telemetry to Azure Monitor through OpenTelemetry (the Azure Monitor distro): Graph, Blob and Cosmos DB calls as
// dependencies (its http and Azure SDK instrumentations), and the app's own records (events.ts) as custom events.
// Records go through the OpenTelemetry logs API, which is a no-op until the distro registers a provider, so code
// that records needs no setup and tests can register their own provider.
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import type { VaultEvent } from './events';

export interface Telemetry {
  track(event: VaultEvent): void;
}

/** The attribute the Azure Monitor exporter maps to a custom event's name; it reads measurements from the body. */
const EVENT_NAME = 'microsoft.custom_event.name';

export const telemetry: Telemetry = {
  // Recording never fails the work it records: the exporter sends in the background, and an emit that throws is
  // dropped here.
  track(event) {
    try {
      logs.getLogger('m365-vault').emit({
        severityNumber: SeverityNumber.INFO,
        body: { measurements: event.measurements },
        attributes: { ...event.dimensions, [EVENT_NAME]: event.name },
      });
    } catch {
      // nothing to do: see above
    }
  },
};

let started = false;

/**
 * Starts the Azure Monitor distro when the app has a connection string (Azure sets it; the local stack points it at
 * its ingestion stand-in). Before the app's modules load (functions/index.ts), so its instrumentations see them.
 * - Records are never sampled: trace sampling (5 traces a second by default, a cost bound on dependency traffic)
 *   would otherwise drop the logs that belong to unsampled traces, and the alert rules count records.
 * - Application Insights has local authentication off: the exporter signs in with the app's managed identity, as
 *   APPLICATIONINSIGHTS_AUTHENTICATION_STRING (`ClientId=…;Authorization=AAD`) says.
 * - Incoming HTTP is the Functions host's to report (the worker's server spans would be copies).
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (started || !connectionString) return started;
  started = true;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when telemetry is on: the distro is large */
  const { useAzureMonitor } = require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
  const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const auth = /(?:^|;)\s*Authorization=AAD\s*(?:;|$)/i.test(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '');
  const clientId = /(?:^|;)\s*ClientId=([^;]+)/i.exec(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '')?.[1];
  const http = { enabled: true, ignoreIncomingRequestHook: () => true };
  // The cloud role the portal groups by: the Function App's name in Azure.
  process.env.OTEL_SERVICE_NAME ??= env.WEBSITE_SITE_NAME ?? 'm365-vault';
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      ...(auth ? { credential: new ManagedIdentityCredential(clientId ? { clientId } : {}) } : {}),
      // The exporter keeps unsent telemetry on local disk by default; a Flex instance's disk is not the place.
      disableOfflineStorage: true,
    },
    enableTraceBasedSamplingForLogs: false,
    instrumentationOptions: {
      http,
      azureSdk: { enabled: true },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      redis: { enabled: false },
      redis4: { enabled: false },
    },
    enableLiveMetrics: false,
  });
  return true;
}
