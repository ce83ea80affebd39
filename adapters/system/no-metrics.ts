import type { Metrics } from '../../domain/core/common/ports';

/** Counts nothing: for handlers composed without metrics (the local server, tests). */
export const noMetrics: Metrics = { count() {}, flush() {} };
