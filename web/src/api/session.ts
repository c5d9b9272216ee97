/**
 * The signed-in admin: the token from POST /v1/auth/login and the email it was issued for, kept in localStorage so
 * a reload stays signed in until the token expires. Components follow it through useSession (useSyncExternalStore).
 */
export interface Session {
  token: string;
  email: string;
  /** Epoch ms when the token stops working (login's expiresIn). */
  expiresAt: number;
}

const STORAGE_KEY = 'oa.session';
const listeners = new Set<() => void>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    return stored && typeof stored.token === 'string' && stored.expiresAt > Date.now() ? stored : null;
  } catch {
    return null;
  }
}

export const sessionStore = {
  get: (): Session | null => (current && current.expiresAt > Date.now() ? current : null),
  set(session: Session | null) {
    current = session;
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORAGE_KEY);
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signing in or out applies here too.
window.addEventListener('storage', (event) => {
  if (event.key !== STORAGE_KEY) return;
  current = read();
  for (const listener of listeners) listener();
});
