import { mkdirSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { delimiter, join } from "node:path";

// A directory to use as the whole PATH: links to every command of the current PATH (the first
// of each name, as a shell would find it) except the named ones. Removing a whole PATH entry
// instead would also remove bash, curl and the rest when they share /usr/bin with the command.
export function pathWithout(dir: string, excluded: readonly string[]): string {
  mkdirSync(dir, { recursive: true });
  const seen = new Set(excluded);
  for (const entry of (process.env.PATH ?? "").split(delimiter)) {
    let names: string[];
    try {
      names = readdirSync(entry);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      const target = join(entry, name);
      try {
        if (!statSync(target).isFile()) continue;
      } catch {
        continue;
      }
      seen.add(name);
      symlinkSync(target, join(dir, name));
    }
  }
  return dir;
}
