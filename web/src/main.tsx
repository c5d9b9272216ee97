import { createRoot } from 'react-dom/client';
import App from './App';
import { queryClient } from './api/queryClient';
import { RootErrorBoundary } from './components/ErrorBoundary';
import { warmUp } from './warmup';
import './styles.css';

// The first render waits for the code of the page being opened, which warmUp loads beside the page's first API
// calls. Rendered before it came, the page would show a spinner, render a second time (in slices) once its code had
// come, and the first render's work would hold back the very responses it waited for.
void warmUp(window.location, queryClient).finally(() =>
  createRoot(document.getElementById('root')!).render(
    <RootErrorBoundary>
      <App />
    </RootErrorBoundary>,
  ),
);
