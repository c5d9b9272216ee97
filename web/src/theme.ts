import { theme as antdTheme, type MappingAlgorithm, type ThemeConfig } from 'antd';
import precomputed from 'virtual:oa-antd-theme';
import { THEME_TOKEN } from './theme-token';

type SeedToken = Parameters<MappingAlgorithm>[0];

/**
 * antd's default algorithm, with its answer for THEME_TOKEN computed at build time: deriving the palettes and sizes
 * from the seed took 15–30 ms of every page load, in the first render. Any other seed is derived as antd would.
 */
const precomputedAlgorithm: MappingAlgorithm = (seed) => {
  const keys = Object.keys(precomputed.seed) as Array<keyof SeedToken>;
  const same = keys.length === Object.keys(seed).length && keys.every((key) => seed[key] === precomputed.seed[key]);
  return same ? precomputed.map : antdTheme.defaultAlgorithm(seed);
};

export const THEME: ThemeConfig = { zeroRuntime: true, token: THEME_TOKEN, algorithm: precomputedAlgorithm };
