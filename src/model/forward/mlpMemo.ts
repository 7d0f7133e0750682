/**
 * The MLP of a layer remembered per input row: its output (the change to the residual, in the
 * columns it writes) is a function of the residual in the rows W_in reads, and compiled models
 * meet few distinct such rows (one-hot values, a few means). An open-addressing table keyed by
 * those values, compared exactly (=== : +0 and −0 are one key, as they give the same product).
 */
export class MlpMemo {
  private keys: Float64Array;
  private outs: Float64Array;
  /** Slot → entry + 1 (0: empty); twice the room, a power of two. */
  private slots: Int32Array;
  private mask: number;
  /** Entries there is room for now (doubles up to `capacity`). */
  private room: number;
  private count = 0;
  lookups = 0;
  hits = 0;
  private readonly bits = new Float64Array(1);
  private readonly words = new Uint32Array(this.bits.buffer);
  /** The key and slot of the last lookup that missed. */
  private readonly pending: Float64Array;
  private pendingSlot = -1;

  constructor(
    readonly inRows: Int32Array,
    readonly outCols: Int32Array,
    private readonly capacity: number,
  ) {
    this.room = Math.min(capacity, 256);
    this.keys = new Float64Array(this.room * inRows.length);
    this.outs = new Float64Array(this.room * outCols.length);
    this.slots = new Int32Array(0);
    this.mask = 0;
    this.pending = new Float64Array(inRows.length);
    this.rehash();
  }

  /** Mixes one key value into a hash (−0 and +0 alike). */
  private mix(h: number, v: number): number {
    this.bits[0] = v + 0;
    const a = Math.imul(h ^ (this.words[0] as number), 0x01000193);
    return Math.imul(a ^ (this.words[1] as number), 0x01000193);
  }

  private hashRow(x: Float64Array, o: number): number {
    const rows = this.inRows;
    let h = 0x811c9dc5;
    for (let i = 0; i < rows.length; i++) h = this.mix(h, x[o + (rows[i] as number)] as number);
    return (h ^ (h >>> 15)) >>> 0;
  }

  private hashEntry(entry: number): number {
    const k = this.inRows.length;
    let h = 0x811c9dc5;
    for (let i = 0; i < k; i++) h = this.mix(h, this.keys[entry * k + i] as number);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** Slots for the current room, every entry placed again. */
  private rehash(): void {
    let size = 1;
    while (size < this.room * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let e = 0; e < this.count; e++) {
      let slot = this.hashEntry(e) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = e + 1;
    }
  }

  /**
   * Adds the remembered output to row o of x; false when the row is not remembered (then the
   * row's key is kept for {@link remember}).
   */
  apply(x: Float64Array, o: number): boolean {
    this.lookups++;
    const rows = this.inRows;
    const k = rows.length;
    const keys = this.keys;
    let slot = this.hashRow(x, o) & this.mask;
    for (;;) {
      const entry = (this.slots[slot] as number) - 1;
      if (entry < 0) {
        for (let i = 0; i < k; i++) this.pending[i] = x[o + (rows[i] as number)] as number;
        this.pendingSlot = slot;
        return false;
      }
      const ko = entry * k;
      let same = true;
      for (let i = 0; i < k; i++) {
        if (keys[ko + i] !== x[o + (rows[i] as number)]) {
          same = false;
          break;
        }
      }
      if (same) {
        const cols = this.outCols;
        const c = cols.length;
        const outs = this.outs;
        const oo = entry * c;
        for (let i = 0; i < c; i++) {
          const at = o + (cols[i] as number);
          x[at] = (x[at] as number) + (outs[oo + i] as number);
        }
        this.hits++;
        return true;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Remembers out row o as the output for the key of the last missed lookup, while there is room. */
  remember(out: Float64Array, o: number): void {
    let slot = this.pendingSlot;
    this.pendingSlot = -1;
    if (slot < 0 || this.count >= this.capacity) return;
    const k = this.inRows.length;
    const cols = this.outCols;
    const c = cols.length;
    if (this.count >= this.room) {
      this.room = Math.min(this.capacity, this.room * 2);
      const keys = new Float64Array(this.room * k);
      keys.set(this.keys);
      this.keys = keys;
      const outs = new Float64Array(this.room * c);
      outs.set(this.outs);
      this.outs = outs;
      this.rehash();
      // the pending key's slot in the new table
      let h = 0x811c9dc5;
      for (let i = 0; i < k; i++) h = this.mix(h, this.pending[i] as number);
      slot = ((h ^ (h >>> 15)) >>> 0) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    }
    const entry = this.count++;
    this.slots[slot] = entry + 1;
    for (let i = 0; i < k; i++) this.keys[entry * k + i] = this.pending[i] as number;
    for (let i = 0; i < c; i++) this.outs[entry * c + i] = out[o + (cols[i] as number)] as number;
  }
}
