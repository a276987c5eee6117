/**
 * The plugin contract's version. A plugin package declares the version it targets in its
 * default export; a different major version is refused with an error naming both.
 * Bump the major on any breaking change to the interfaces in `contract/` or to `Tokens`.
 */
export const CORE_API_VERSION = '2.2';

/** A package built against `1.x` works with core `1.y` when x ≤ y. */
export function isCompatible(pluginVersion: string, coreVersion = CORE_API_VERSION): boolean {
  const [pm, pn] = pluginVersion.split('.').map(Number);
  const [cm, cn] = coreVersion.split('.').map(Number);
  return pm === cm && (pn ?? 0) <= (cn ?? 0);
}
