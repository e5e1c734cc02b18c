/**
 * Contents of files in images, by image ID and path. Image content is
 * immutable under its ID, so a file read once (from any container fresh from
 * that image) is valid forever; concurrent readers share one read. Bounded:
 * the oldest entries go first.
 */

export class ImageFileCache {
  private readonly entries = new Map<string, Promise<Buffer | null>>();

  constructor(private readonly maxEntries = 512) {}

  get size(): number {
    return this.entries.size;
  }

  async get(imageId: string, path: string, load: () => Promise<Buffer | null>): Promise<Buffer | null> {
    const key = `${imageId}\u0000${path}`;
    const hit = this.entries.get(key);
    if (hit) {
      try {
        return await hit;
      } catch {
        // Another caller's read failed: its spawn was cancelled or its container removed, which
        // says nothing about this caller's. Read for ourselves.
      }
    }
    const loading = load();
    this.entries.set(key, loading);
    // A failed read (Engine hiccup) is not a fact about the image: forget it.
    loading.catch(() => {
      if (this.entries.get(key) === loading) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return await loading;
  }
}
