import { loadAddon } from './addon';

/** The BLAS the addon links and its thread count, or null when the addon is off. */
export function nativeBlasInfo(): { blas: string; threads: number } | null {
  const state = loadAddon();
  return state.ok ? state.addon.info() : null;
}
