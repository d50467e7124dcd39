/**
 * One recording file on its way to disk: written under a temporary name beside its final one and renamed into
 * place when finished, so a reader never sees half a file. Writes go one at a time from a bounded queue: a disk
 * slower than the call stops the recording (never grows memory without end), and a failed write (ENOSPC) stops
 * it with the error; the temporary file is removed either way. The file system is a seam so tests can fail it.
 */
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file operations a recording needs. */
export interface RecordingFs {
  mkdir(path: string): Promise<void>;
  open(path: string): Promise<RecordingHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export interface RecordingHandle {
  write(buf: Buffer, position: number): Promise<void>;
  close(): Promise<void>;
}

/** node:fs/promises. */
export const nodeRecordingFs: RecordingFs = {
  async mkdir(path) {
    await mkdir(path, { recursive: true });
  },
  async open(path) {
    const fh = await open(path, 'w', 0o640);
    return {
      async write(buf, position) {
        let done = 0;
        while (done < buf.length) done += (await fh.write(buf, done, buf.length - done, position + done)).bytesWritten;
      },
      close: () => fh.close(),
    };
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
};

/** Why a recording's file failed: the disk is full, another I/O error, or the disk could not keep up. */
export type RecordingFailure = 'disk-full' | 'io-error' | 'backlog';

export class RecordingFileError extends Error {
  constructor(
    readonly failure: RecordingFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RecordingFileError';
  }
}

function failureOf(err: unknown): RecordingFileError {
  if (err instanceof RecordingFileError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const failure: RecordingFailure = code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG' ? 'disk-full' : 'io-error';
  return new RecordingFileError(failure, (err as Error).message ?? String(err));
}

/** Default: 4 MB waiting for the disk (about 60 s of 16 kHz stereo WAV) before the recording is given up. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export class RecordingFile {
  /** The temporary name: hidden, beside the final one (same file system, so the rename is atomic). */
  readonly tempPath: string;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private position = 0;
  private handle: Promise<RecordingHandle>;
  private pumping: Promise<void> = Promise.resolve();
  private failure: RecordingFileError | undefined;
  private settled = false;

  constructor(
    readonly path: string,
    private readonly fs: RecordingFs,
    private readonly onFailed: (err: RecordingFileError) => void,
    private readonly maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES,
  ) {
    this.tempPath = join(dirname(path), `.${basename(path)}.part`);
    this.handle = fs.mkdir(dirname(path)).then(() => fs.open(this.tempPath));
    this.handle.catch((err: unknown) => this.fail(failureOf(err)));
  }

  /** Bytes waiting for the disk. */
  get backlog(): number {
    return this.queued;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Queues bytes at the end of the file (dropped once the file failed). */
  append(buf: Buffer): void {
    if (this.failure || this.settled || buf.length === 0) return;
    this.queue.push(buf);
    this.queued += buf.length;
    if (this.queued > this.maxQueuedBytes) {
      this.fail(new RecordingFileError('backlog', `the disk fell behind: ${this.queued} bytes waiting to be written`));
      return;
    }
    if (this.queue.length === 1) this.pumping = this.pumping.then(() => this.pump());
  }

  /**
   * Writes what is queued, then `header` at offset 0 when given, closes and renames the file into place.
   * @throws RecordingFileError when the file failed (the temporary file is gone then).
   */
  async finish(header?: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    this.settled = true;
    try {
      await this.pumping;
      if (this.failure) throw this.failure;
      const h = await this.handle;
      if (header) await h.write(header, 0);
      await h.close();
      await this.fs.rename(this.tempPath, this.path);
    } catch (err) {
      const e = failureOf(err);
      this.fail(e);
      throw e;
    }
  }

  /** Gives the file up: nothing more is written, the temporary file is removed. Safe twice. */
  abort(): void {
    if (this.settled && !this.failure) return;
    this.settled = true;
    void this.cleanUp();
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const buf = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue);
      const n = this.queue.length;
      try {
        const h = await this.handle;
        await h.write(buf, this.position);
      } catch (err) {
        this.fail(failureOf(err));
        return;
      }
      this.position += buf.length;
      this.queue.splice(0, n);
      this.queued -= buf.length;
    }
  }

  private fail(err: RecordingFileError): void {
    if (this.failure) return;
    this.failure = err;
    this.queue.length = 0;
    this.queued = 0;
    this.settled = true;
    void this.cleanUp();
    this.onFailed(err);
  }

  private async cleanUp(): Promise<void> {
    await this.pumping.catch(() => {});
    try {
      const h = await this.handle;
      await h.close().catch(() => {});
    } catch {
      // never opened
    }
    await this.fs.unlink(this.tempPath).catch(() => {});
  }
}
