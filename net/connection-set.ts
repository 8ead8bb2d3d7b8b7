// The set of connections a server holds, without the garbage a Set would keep.
//
// A server adds and deletes one entry per connection in a set that lives as
// long as the server. A JavaScript Set does that badly for the collector: V8
// rehashes a Set's table after enough deletions and links the table it
// replaced to the new one (for iterators still on the old one), and the old
// table keeps the entries it had. Once one table of a long-lived Set has
// reached the old generation, that link keeps every later table, and every
// connection any of them held, alive through young-generation collections
// until the next full one: on a server taking short connections, about half
// of all a connection allocates survived its first collection and was
// promoted. Here each member keeps its slot in an array (in its state, as
// `slot`), and deleting clears the slot, so a connection that is over is
// referred to by nothing.

/** What can be a member: its state has a `slot` field, -1 while it is in no set. */
export interface Slotted {
  readonly state: Record<string, unknown>;
}

export class ConnectionSet<T extends Slotted> implements Iterable<T> {
  private readonly slots: (T | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(member: T): this {
    if (this.has(member)) return this;
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots.length;
    this.slots[slot] = member;
    member.state.slot = slot;
    this.count++;
    return this;
  }

  delete(member: T): boolean {
    if (!this.has(member)) return false;
    const slot = member.state.slot as number;
    this.slots[slot] = undefined;
    member.state.slot = -1;
    this.freeSlots.push(slot);
    this.count--;
    return true;
  }

  has(member: T): boolean {
    const slot = member.state.slot as number;
    return slot >= 0 && this.slots[slot] === member;
  }

  /** The members, in slot order; deleting while iterating is allowed. */
  *[Symbol.iterator](): IterableIterator<T> {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const member = slots[i];
      if (member !== undefined) yield member;
    }
  }

  values(): IterableIterator<T> {
    return this[Symbol.iterator]();
  }
}
