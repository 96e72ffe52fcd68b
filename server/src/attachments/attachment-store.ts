import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** The upload went past the size limit: nothing was kept. */
export class AttachmentTooLargeError extends Error {}

export type ReceivedFile = { tempPath: string; size: number; sha256: string };

const KEY = /^[0-9a-f]{32}$/;

/**
 * Attachment bytes on disk. A file is written to `tmp/` first and renamed into place only once
 * it is complete and accepted (same directory tree, so the rename is atomic): a crash or a
 * refused upload never leaves a half file under a real key. Files live at `<2 hex>/<32 hex>`,
 * a random key: the uploader's name never reaches the filesystem.
 */
export class AttachmentStore {
  constructor(private readonly dir: string) {}

  private get tmpDir(): string {
    return path.join(this.dir, 'tmp');
  }

  /**
   * Streams `body` into a temporary file while counting and hashing. Past `maxBytes` the file is
   * deleted and AttachmentTooLargeError thrown; the rest of the body is read and dropped (up to
   * a few times the limit) so the client gets our answer rather than a reset connection.
   */
  async receive(body: Readable, maxBytes: number): Promise<ReceivedFile> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    const tempPath = path.join(this.tmpDir, `${randomUUID()}.part`);
    const file = await open(tempPath, 'wx', 0o600);
    const hash = createHash('sha256');
    let size = 0;
    let tooLarge = false;
    try {
      for await (const piece of body) {
        const buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        size += buf.length;
        if (tooLarge || size > maxBytes) {
          if (!tooLarge) {
            tooLarge = true;
            await file.close();
            await unlink(tempPath);
          }
          if (size > maxBytes * 4) break;
          continue;
        }
        hash.update(buf);
        await file.write(buf);
      }
      if (tooLarge) throw new AttachmentTooLargeError();
      await file.sync();
      await file.close();
      return { tempPath, size, sha256: hash.digest('hex') };
    } catch (error) {
      if (!tooLarge) {
        await file.close().catch(() => {});
        await unlink(tempPath).catch(() => {});
      }
      throw error;
    }
  }

  /** Moves a received file to its permanent place; returns its storage key. */
  async keep(received: ReceivedFile): Promise<string> {
    const key = randomBytes(16).toString('hex');
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await rename(received.tempPath, target);
    return key;
  }

  async discard(received: ReceivedFile): Promise<void> {
    await unlink(received.tempPath).catch(() => {});
  }

  async remove(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch(() => {});
  }

  /** Opens a kept file for reading, once it is known to exist (the read stream would fail late). */
  async read(key: string): Promise<ReadStream> {
    const file = this.pathOf(key);
    await stat(file);
    return createReadStream(file);
  }

  /** Temporary files left by a crash mid-upload, older than `olderThanMs`, are deleted. */
  async sweepTemp(now: Date, olderThanMs: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.tmpDir, name);
      const info = await stat(file).catch(() => null);
      if (info && now.getTime() - info.mtimeMs > olderThanMs) {
        await unlink(file).catch(() => {});
        removed++;
      }
    }
    return removed;
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error('not an attachment storage key');
    return path.join(this.dir, key.slice(0, 2), key);
  }
}
