/**
 * Which offset of a partition may be committed: everything below the oldest message not yet
 * done. Messages finish out of order (runs last seconds or hours), so committing the latest
 * finished offset could skip an unfinished run after a crash. Pure: the consumer feeds it.
 * Offsets arrive in increasing order, so a queue with lazy removal keeps each step O(1).
 */
export class PartitionOffsets {
  private readonly pending = new Set<bigint>();
  private readonly order: bigint[] = [];
  private head = 0;
  private highestSeen = -1n;
  private committed = -1n;

  add(offset: bigint): void {
    if (offset <= this.highestSeen) return; // a redelivered batch after a seek: already tracked or done
    this.pending.add(offset);
    this.order.push(offset);
    this.highestSeen = offset;
  }

  /** Marks a message done; returns the offset to commit (the next to read) when it advanced. */
  done(offset: bigint): bigint | undefined {
    this.pending.delete(offset);
    const next = this.commitPoint();
    if (next > this.committed) {
      this.committed = next;
      return next;
    }
    return undefined;
  }

  /** The oldest pending offset, or one past the highest seen when none is pending. */
  commitPoint(): bigint {
    while (this.head < this.order.length && !this.pending.has(this.order[this.head]!)) this.head++;
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
    return this.head < this.order.length ? this.order[this.head]! : this.highestSeen + 1n;
  }

  get size(): number {
    return this.pending.size;
  }
}
