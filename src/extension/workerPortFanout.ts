import type { NotificationType } from 'vscode-jsonrpc';

/** What the fan-out needs of a worker connection: one handler per notification method. */
export interface NotificationSource {
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): unknown;
}

type Handler = (params: unknown) => void;

/**
 * The worker port's notification fan-out (kept apart from `WorkerPort`, which needs `vscode`, so a
 * unit test can drive it with a fake connection). A JSON-RPC connection keeps one handler per
 * method, so each method is wired once per connection and every notification is handed to every
 * live subscriber; subscriptions outlive connections and are wired again on the next one.
 */
export class NotificationFanout {
  /** Notification method → its type and every live subscriber. */
  private readonly subscribers = new Map<string, { type: NotificationType<unknown>; handlers: Set<Handler> }>();
  private source: NotificationSource | undefined;
  /** Methods already wired to the current source. */
  private wired = new Set<string>();

  /** `onHandlerError` hears of a subscriber that threw; the other subscribers still get the notification. */
  constructor(private readonly onHandlerError: (method: string, e: unknown) => void) {}

  /** Adds `handler` for `type`; returns its removal. */
  subscribe<P>(type: NotificationType<P>, handler: (params: P) => void): () => void {
    let entry = this.subscribers.get(type.method);
    if (!entry) {
      entry = { type: type as NotificationType<unknown>, handlers: new Set() };
      this.subscribers.set(type.method, entry);
    }
    const h = handler as Handler;
    const handlers = entry.handlers;
    handlers.add(h);
    if (this.source) this.wire(this.source, type.method);
    return () => handlers.delete(h);
  }

  /** A new connection (a new worker): every method subscribed so far is wired to it, once each. */
  attach(source: NotificationSource): void {
    this.source = source;
    this.wired = new Set();
    for (const method of this.subscribers.keys()) this.wire(source, method);
  }

  /** Drops every subscriber (the port is disposed). */
  clear(): void {
    // The wired closures hold each method's set: empty them, not only the map.
    for (const entry of this.subscribers.values()) entry.handlers.clear();
    this.subscribers.clear();
  }

  private wire(source: NotificationSource, method: string): void {
    const entry = this.subscribers.get(method);
    if (!entry || this.wired.has(method)) return;
    this.wired.add(method);
    source.onNotification(entry.type, (params) => {
      for (const h of [...entry.handlers]) {
        try {
          h(params);
        } catch (e) {
          this.onHandlerError(method, e);
        }
      }
    });
  }
}
