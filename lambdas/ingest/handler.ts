import { createIngestHandler } from './create-ingest-handler';
import { ingestDepsFromEnv } from './deps-from-env';

/** The deployed ingest function: its composition root. Configuration is checked once, at cold start. */
export const handler = createIngestHandler(ingestDepsFromEnv(process.env));
