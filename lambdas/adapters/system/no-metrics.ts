import type { Metrics } from '../../core/common/ports';

/** Counts nothing: for handlers composed without metrics (the local server, tests). */
export const noMetrics: Metrics = { count() {}, flush() {} };
