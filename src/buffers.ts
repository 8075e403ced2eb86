/** Memory of byte chunks released on time (see `release`). */

/** Whether a chunk covers its whole ArrayBuffer, so that no other view can hold bytes of it. */
export function isSoleView(chunk: Uint8Array): boolean {
  const memory = chunk.buffer;
  return (
    memory instanceof ArrayBuffer &&
    !memory.resizable &&
    chunk.byteOffset === 0 &&
    chunk.byteLength === memory.byteLength &&
    memory.byteLength > 0
  );
}

/**
 * Frees a chunk's memory now, by detaching its ArrayBuffer (`transfer(0)` moves it into an empty buffer
 * and frees the old memory at once). Each socket read of the download is its own 64 KB ArrayBuffer, and V8
 * frees one only when a garbage collection finds it dead; a relay allocates little else, so collections come
 * late (driven by V8's external-memory limit) and tens of MB of sent chunks piled up at each one, then stayed
 * in the process as freed-but-held malloc memory. The same holds for request bodies read and then refused. Call
 * it only for a chunk that is the sole view of its memory and that nothing will read again.
 */
export function release(chunk: Uint8Array): void {
  const memory = chunk.buffer;
  if (memory instanceof ArrayBuffer && !memory.detached) memory.transfer(0);
}
