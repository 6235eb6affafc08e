/**
 * External programs the gateways run (Ghostscript, espeak-ng, HylaFAX's sendfax, libtiff's
 * tiff2pdf): found on PATH, or given as absolute paths in the config. Checked at start-up so a
 * missing one disables its gateway with a clear reason instead of failing each message.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/** The absolute path of an executable, or null when it is not installed. */
export async function findExecutable(name: string, path = process.env.PATH ?? ''): Promise<string | null> {
  const candidates = isAbsolute(name) ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; next
    }
  }
  return null;
}

/** The tools missing from a list, each as "name (Debian package pkg)". */
export async function missingTools(tools: Array<{ program: string; debianPackage: string }>): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of tools) {
    if ((await findExecutable(tool.program)) === null) missing.push(`${tool.program} (Debian package ${tool.debianPackage})`);
  }
  return missing;
}
