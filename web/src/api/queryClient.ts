import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './client';

/** The console's one query cache: App provides it, warmup.ts fills it before the first render. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change by asking again; a network blip or a 503 may.
      retry: (count, error) => count < 2 && error instanceof ApiError && (error.status === 0 || error.status >= 500),
      refetchOnWindowFocus: false,
      staleTime: 10_000,
    },
  },
});
