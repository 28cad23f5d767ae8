// The SIM/ME storage kept in a JSON file, so that it outlives the process that simulates the modem (a
// real SIM keeps its messages when the agent dies). Written whole on every change, through a temp file
// renamed into place, so a kill mid-write leaves the previous or the new content, never half of one.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Modem } from './modem.ts';
import type { StorageName, StoredMessage } from './storage.ts';

interface StorageFile {
  version: 1;
  storages: Partial<Record<StorageName, StoredMessage[]>>;
}

/**
 * Loads the storages from `file` when it exists (true), then saves them there after every change.
 * Storages of the file that the profile lacks, and messages at invalid indices, are dropped.
 */
export function persistStorages(modem: Modem, file: string): boolean {
  let loaded = false;
  if (existsSync(file)) {
    const data = JSON.parse(readFileSync(file, 'utf8')) as StorageFile;
    for (const [name, messages] of Object.entries(data.storages ?? {}) as [StorageName, StoredMessage[]][]) {
      const storage = modem.storages.get(name);
      for (const m of storage ? messages : []) storage!.restore(m);
    }
    loaded = true;
  }
  const save = () => {
    const out: StorageFile = { version: 1, storages: {} };
    for (const [name, storage] of modem.storages) out.storages[name] = storage.list();
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(out));
    renameSync(tmp, file);
  };
  for (const storage of modem.storages.values()) storage.onChange = save;
  save();
  return loaded;
}
