/** Typed events with unsubscribe functions: `on(event, listener)` returns its own `off`. */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(value: unknown) => void>>();

  on<E extends keyof Events>(event: E, listener: (value: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    // Each subscription is its own entry: a listener added twice is called twice, and each
    // returned function removes its own subscription.
    const entry = (value: unknown) => listener(value as Events[E]);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /**
   * Calls the event's listeners in the order they subscribed. A throwing listener does not stop
   * the others nor the caller: its error is thrown again on its own (an uncaught error, as an
   * EventTarget listener's would be).
   */
  emit<E extends keyof Events>(event: E, value: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** True when someone listens to `event`. */
  has(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }
}
