/**
 * The console's colours and corners (WeChat's green): antd's seed tokens that differ from its defaults. Its own
 * module, without imports, so that vite.config.ts can read it at build time (src/theme.ts).
 */
export const THEME_TOKEN = { colorPrimary: '#07c160', borderRadius: 6 };
