import type { Metrics } from '../../core/shared/ports';

/** Counts nothing: for handlers composed without metrics (the local server, tests). */
export const noMetrics: Metrics = { count() {}, flush() {} };
