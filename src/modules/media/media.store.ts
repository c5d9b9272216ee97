import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Where media files live; one interface so that a bucket can replace the local disk without touching callers. */
export interface MediaStore {
  put(key: string, bytes: Buffer): Promise<void>;
  /** The file as a stream with its size, or undefined when it is not (or no longer) there. */
  get(key: string): Promise<{ stream: Readable; size: number } | undefined>;
  /** Deleting a file that is not there is not an error. */
  delete(key: string): Promise<void>;
}

/** Keys are ours (`<32 hex>.<ext>`), never a client's filename: nothing can climb out of the directory. */
export const STORAGE_KEY_PATTERN = /^[0-9a-f]{32}\.[a-z0-9]{2,4}$/;

export function newStorageKey(ext: string): string {
  return `${randomBytes(16).toString('hex')}.${ext}`;
}

function checkedKey(key: string): string {
  if (!STORAGE_KEY_PATTERN.test(key)) throw new Error(`invalid media storage key ${JSON.stringify(key)}`);
  return key;
}

export function createLocalDiskStore(directory: string): MediaStore {
  const fileOf = (key: string) => path.join(directory, checkedKey(key));
  let ready: Promise<unknown> | undefined;
  return {
    async put(key, bytes) {
      ready ??= mkdir(directory, { recursive: true });
      await ready;
      // Written aside and renamed, so a reader never sees half a file.
      const partial = `${fileOf(key)}.${randomBytes(4).toString('hex')}.part`;
      await writeFile(partial, bytes, { flag: 'wx' });
      await rename(partial, fileOf(key));
    },
    async get(key) {
      let handle;
      try {
        handle = await open(fileOf(key), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        const { size } = await handle.stat();
        // The stream closes the handle when it ends or is destroyed.
        return { stream: handle.createReadStream(), size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },
    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
  };
}
