import { createHash } from 'node:crypto';
import { SourceError } from '../../../src/errors.ts';
import type { ProviderModule, SpeechProvider } from '../../../src/providers/index.ts';

/** The text the stand-in "recognises" in a file: how many bytes it received and their SHA-256, so a test can check. */
export function heard(bytes: number, sha256: string): string {
  return `${bytes} bytes, sha256 ${sha256.slice(0, 16)}`;
}

/**
 * A synchronous speech provider, for tests only: it reads the whole upload and answers at once with one segment that
 * names what it received. It needs no account, no webhook and no network; WAV and MP3 go to it as they are, the rest
 * is converted to MP3. It exists to prove the provider seam: this folder and one registration line in a test are all it
 * took to run it through the whole pipeline.
 */
const provider: SpeechProvider = {
  id: 'sync-stand-in',
  name: 'Stand-in',
  sendAsIs: (container) => {
    if (container === 'wav') return { extension: 'wav', contentType: 'audio/wav' };
    if (container === 'mp3') return { extension: 'mp3', contentType: 'audio/mpeg' };
    return undefined;
  },
  convertTo: { extension: 'mp3', contentType: 'audio/mpeg' },
  submit: async (upload) => {
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of upload.body) {
        if (upload.signal?.aborted) return { ok: false, error: 'aborted', retryable: true };
        hash.update(chunk);
        bytes += chunk.byteLength;
      }
    } catch (err) {
      throw new SourceError(err);
    }
    return { ok: true, transcript: [{ from: 0, to: 1, text: heard(bytes, hash.digest('hex')) }] };
  },
  results: { kind: 'synchronous' },
  diagnose: () => 'the stand-in never refuses',
  close: async () => undefined,
};

export const syncStandIn: ProviderModule = {
  id: provider.id,
  configure: () => ({ secrets: [], address: 'in this process', create: () => provider }),
};
