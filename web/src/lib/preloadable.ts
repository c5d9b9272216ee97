import { createElement, lazy, useState, type ComponentType } from 'react';

export type Preloadable<P extends object> = ComponentType<P> & {
  /** Starts loading the component's chunk (warmup.ts does, before it is first rendered). */
  preload(): Promise<unknown>;
};

/**
 * A component in a chunk of its own, like React.lazy, that renders at once when its chunk has already arrived.
 * React.lazy suspends on its first render however early the chunk was loaded, and React holds back the reveal of a
 * Suspense boundary's content until 300 ms after its last fallback (its throttling of Suspense retries): on the growth
 * page, whose chart code warmup.ts had loaded long before, the chart waited that long after its data had arrived.
 */
export function preloadable<P extends object>(load: () => Promise<{ default: ComponentType<P> }>): Preloadable<P> {
  let loaded: ComponentType<P> | undefined;
  // import() answers the same module however often it is called.
  const preload = () =>
    load().then((module) => {
      loaded = module.default;
      return module;
    });
  const Lazy = lazy(preload);
  function PreloadableComponent(props: P) {
    // Chosen once per mounted instance: switching from Lazy to the loaded component later would remount it.
    const [Component] = useState<ComponentType<P>>(() => loaded ?? (Lazy as unknown as ComponentType<P>));
    return createElement(Component, props);
  }
  return Object.assign(PreloadableComponent, { preload });
}
