import { fileURLToPath } from "node:url";

/**
 * Path of the running module file: from `import.meta.url` in ES modules, from `__filename` in
 * the CommonJS build (where `import.meta` is empty).
 */
export function modulePath(): string {
  const url = import.meta.url;
  if (url) return fileURLToPath(url);
  return __filename;
}
