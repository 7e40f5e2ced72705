/**
 * Factor levels by their bytes: each distinct byte string gets a code (0, 1, 2, … in order of first
 * appearance) and is decoded to a string once, when first seen. A field that repeats a level costs a
 * hash and a comparison of its bytes, no string. (Decoding is one-to-one for valid UTF-8 and for
 * Latin-1, so codes by bytes are codes by string.)
 *
 * Open addressing with linear probing over a power-of-two table of codes; FNV-1a hashes; the
 * levels' bytes in one growable arena.
 */
export class LevelInterner {
  /** the levels' strings, by code */
  readonly levels: string[] = [];
  private slots = new Int32Array(1024); // code + 1; 0 = empty
  private hashes = new Uint32Array(256);
  /** level c's bytes are arena[offsets[c], offsets[c + 1]) */
  private offsets = new Int32Array(257);
  private arena = new Uint8Array(4096);

  /** The code of `bytes`, adding it (with `decode(bytes)` as its string) when new. */
  code(bytes: Uint8Array, decode: (bytes: Uint8Array) => string): number {
    const n = bytes.length;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    h >>>= 0;
    const mask = this.slots.length - 1;
    let idx = h & mask;
    for (;;) {
      const slot = this.slots[idx];
      if (slot === 0) break;
      const c = slot - 1;
      if (this.hashes[c] === h && this.sameAs(c, bytes)) return c;
      idx = (idx + 1) & mask;
    }
    // a new level: decode it first (it may throw on invalid bytes: nothing is added then)
    const str = decode(bytes);
    const c = this.levels.length;
    this.append(c, bytes, h);
    this.levels.push(str);
    this.slots[idx] = c + 1;
    if (this.levels.length * 2 > this.slots.length) this.rehash();
    return c;
  }

  get size(): number {
    return this.levels.length;
  }

  private sameAs(c: number, bytes: Uint8Array): boolean {
    const a = this.offsets[c];
    const len = this.offsets[c + 1] - a;
    if (len !== bytes.length) return false;
    const arena = this.arena;
    for (let i = 0; i < len; i++) if (arena[a + i] !== bytes[i]) return false;
    return true;
  }

  private append(c: number, bytes: Uint8Array, h: number): void {
    if (c + 1 >= this.hashes.length) {
      const hashes = new Uint32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const offsets = new Int32Array(hashes.length + 1);
      offsets.set(this.offsets);
      this.offsets = offsets;
    }
    const at = this.offsets[c];
    if (at + bytes.length > this.arena.length) {
      const arena = new Uint8Array(Math.max(this.arena.length * 2, at + bytes.length));
      arena.set(this.arena.subarray(0, at));
      this.arena = arena;
    }
    this.arena.set(bytes, at);
    this.offsets[c + 1] = at + bytes.length;
    this.hashes[c] = h;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let c = 0; c < this.levels.length; c++) {
      let idx = this.hashes[c] & mask;
      while (slots[idx] !== 0) idx = (idx + 1) & mask;
      slots[idx] = c + 1;
    }
    this.slots = slots;
  }
}
