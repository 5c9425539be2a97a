// Interns call stacks: a stack is defined once in a capture and referenced by id afterwards.
// One table per capture being written or read; never shared between captures.

export class StackTable {
  private readonly ids = new Map<string, number>();
  private readonly frames: string[][] = [];

  /** Returns the id of `frames` and whether this call defined it (so the caller emits a StackRecord).
   *  `key` is `frames.join('\n')` when the caller has it already (it is the table's key). */
  intern(frames: readonly string[], key = frames.join('\n')): { id: number; isNew: boolean } {
    const known = this.ids.get(key);
    if (known !== undefined) return { id: known, isNew: false };
    const id = this.frames.length + 1;
    this.ids.set(key, id);
    this.frames.push([...frames]);
    return { id, isNew: true };
  }

  /** Registers a stack read from a capture under its recorded id. */
  define(id: number, frames: string[]): void {
    this.frames[id - 1] = frames;
    this.ids.set(frames.join('\n'), id);
  }

  get(id: number): readonly string[] | undefined {
    return this.frames[id - 1];
  }

  get size(): number {
    return this.ids.size;
  }
}
