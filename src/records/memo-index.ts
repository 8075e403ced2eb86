import type { Store } from '../store/index.ts';
import { type MemoId, workspaceKeys } from '../store/keys.ts';

/** A transcript file the app uploaded into a memo's thread. */
export interface UploadedFile {
  fileId: string;
  format: string;
  at: number;
}

/**
 * What the app made from each memo that its own key does not name: every attempt at a file (to find them all when
 * the memo or its file is deleted), and the transcript files uploaded into its thread (deleted with it).
 */
export class MemoIndex {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async noteAttempt(workspace: string, fileId: string, trackingId: string, ttlMs: number): Promise<void> {
    await this.#store.addField(workspaceKeys(workspace).fileJobs(fileId), trackingId, Date.now(), ttlMs);
  }

  /** Every attempt at this file, in whichever channel it was shared. */
  async attempts(workspace: string, fileId: string): Promise<string[]> {
    return Object.keys((await this.#store.record(workspaceKeys(workspace).fileJobs(fileId))) ?? {});
  }

  async forgetAttempts(workspace: string, fileId: string, trackingIds: readonly string[]): Promise<void> {
    if (trackingIds.length === 0) return;
    await this.#store.update(
      workspaceKeys(workspace).fileJobs(fileId),
      Object.fromEntries(trackingIds.map((id) => [id, null])),
    );
  }

  async noteUpload(workspace: string, memo: MemoId, file: UploadedFile, ttlMs: number): Promise<void> {
    await this.#store.addField(workspaceKeys(workspace).uploads(memo), file.fileId, file, ttlMs);
  }

  async forgetUploads(workspace: string, memo: MemoId): Promise<void> {
    await this.#store.delete(workspaceKeys(workspace).uploads(memo));
  }

  async uploads(workspace: string, memo: MemoId): Promise<UploadedFile[]> {
    const all = await this.#store.record<Record<string, UploadedFile>>(workspaceKeys(workspace).uploads(memo));
    return Object.values(all ?? {}).filter((f): f is UploadedFile => typeof f?.fileId === 'string');
  }
}
