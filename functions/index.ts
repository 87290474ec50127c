// Loaded before every other file of the app (package.json `main` names it first), so telemetry's instrumentations
// are in place before the modules they instrument load.
import { startTelemetry } from '../shared/telemetry/telemetry';

startTelemetry();
