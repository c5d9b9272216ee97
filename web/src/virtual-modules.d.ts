/** vite.config.ts's precomputedTheme plugin: antd's default algorithm applied to THEME_TOKEN (src/theme.ts) at build time. */
declare module 'virtual:oa-antd-theme' {
  import type { MappingAlgorithm } from 'antd';

  const precomputed: { seed: Parameters<MappingAlgorithm>[0]; map: ReturnType<MappingAlgorithm> };
  export default precomputed;
}
