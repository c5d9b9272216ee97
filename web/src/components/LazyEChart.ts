import { preloadable } from '../lib/preloadable';

/** The charts (ECharts, the largest chunk) load with the first statistics page, not before. */
export const EChart = preloadable(() => import('./EChart'));
