// Request and response bodies stream between the Functions host and this worker (through @azure/functions' HTTP
// proxy) instead of crossing gRPC whole: without this, the library reads every response body (an .eml, a file of
// any size, a zip export) into worker memory before the host sends its first byte. Set before the worker's init
// (any module of package.json `main` runs before it); the local host follows the same code path when it is set.
import { app } from '@azure/functions';

app.setup({ enableHttpStream: true });
