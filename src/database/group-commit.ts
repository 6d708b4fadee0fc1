/** What a group's statement answers for one of its items: its outcome, or the error of that item alone. */
export type GroupOutcome<Outcome> = { ok: Outcome } | { error: unknown };

interface Pending<Item, Outcome> {
  item: Item;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

interface Group<Context, Item, Outcome> {
  context: Context;
  pending: Pending<Item, Outcome>[];
}

/**
 * Group commit: the calls of one group (a tenant, say) that arrive while that group's previous
 * statement runs go together in the next, one transaction for all of them. A lone call waits
 * one turn of the event loop, no more; under load a transaction's round trips are shared by
 * every call that queued behind it. `distinctBy` keeps two calls for one thing (a job) out of
 * the same statement: the second waits for the next.
 */
export class GroupCommit<Context, Item, Outcome> {
  private readonly groups = new Map<string, Group<Context, Item, Outcome>>();

  constructor(
    private readonly execute: (context: Context, items: Item[]) => Promise<GroupOutcome<Outcome>[]>,
    private readonly options: { maxPerStatement: number; distinctBy?: (item: Item) => string },
  ) {}

  submit(groupKey: string, context: Context, item: Item): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const running = this.groups.get(groupKey);
      if (running) {
        running.pending.push({ item, resolve, reject });
        return;
      }
      const group: Group<Context, Item, Outcome> = { context, pending: [{ item, resolve, reject }] };
      this.groups.set(groupKey, group);
      setImmediate(() => void this.run(groupKey, group));
    });
  }

  private async run(groupKey: string, group: Group<Context, Item, Outcome>): Promise<void> {
    while (group.pending.length) {
      const batch = this.takeDistinct(group.pending);
      try {
        const outcomes = await this.execute(group.context, batch.map((call) => call.item));
        batch.forEach((call, index) => {
          const outcome = outcomes[index];
          if ('ok' in outcome) call.resolve(outcome.ok);
          else call.reject(outcome.error);
        });
      } catch (error) {
        for (const call of batch) call.reject(error);
      }
    }
    // Nothing awaits between the loop's last check and here: a call arriving later starts a new group.
    this.groups.delete(groupKey);
  }

  /** Up to `maxPerStatement` calls for distinct things, in order, out of `pending`. */
  private takeDistinct(pending: Pending<Item, Outcome>[]): Pending<Item, Outcome>[] {
    const batch: Pending<Item, Outcome>[] = [];
    const seen = new Set<string>();
    for (let index = 0; index < pending.length && batch.length < this.options.maxPerStatement; ) {
      const key = this.options.distinctBy?.(pending[index].item);
      if (key !== undefined && seen.has(key)) {
        index++;
        continue;
      }
      if (key !== undefined) seen.add(key);
      batch.push(...pending.splice(index, 1));
    }
    return batch;
  }
}
