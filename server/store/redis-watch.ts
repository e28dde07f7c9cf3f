// The Redis store's watchers: one subscriber connection (pub/sub needs a connection of its
// own) on which every replica hears each new version of a shared document the moment any
// replica writes it. Messages published while this replica was cut off from Redis are
// lost, so after every (re)connection each watched document is read again and handed to
// its listeners: they keep the newest version by epoch and version, so a repeat is harmless.
import type { Redis } from 'ioredis';
import type { Versioned } from './store.js';

type Listener = (doc: Versioned | undefined) => void;
const RETRY_READ_MS = 200;

export class RedisWatch {
  readonly #subscriber: Redis;
  readonly #read: (key: string) => Promise<Versioned | undefined>;
  /** Redis channel (the prefixed key) -> the store key and its listeners. */
  readonly #watched = new Map<string, { key: string; listeners: Set<Listener> }>();
  #closed = false;

  constructor(subscriber: Redis, read: (key: string) => Promise<Versioned | undefined>) {
    this.#subscriber = subscriber;
    this.#read = read;
    subscriber.on('error', () => undefined); // reconnects by itself; availability is reported by the store
    subscriber.on('message', (channel: string, message: string) => {
      const doc = RedisWatch.parse(message);
      for (const listener of this.#watched.get(channel)?.listeners ?? []) listener(doc);
    });
    // The first 'ready' too: a document written before anyone subscribed is delivered.
    subscriber.on('ready', () => {
      for (const channel of this.#watched.keys()) this.#refresh(channel);
    });
  }

  /** "epoch\nversion\nvalue", as the REPLACE script publishes it. */
  static parse(message: string): Versioned {
    const a = message.indexOf('\n');
    const b = message.indexOf('\n', a + 1);
    return { epoch: message.slice(0, a), version: Number(message.slice(a + 1, b)), value: message.slice(b + 1) };
  }

  async connect(): Promise<void> {
    await this.#subscriber.connect().catch(() => undefined);
  }

  async add(channel: string, key: string, listener: Listener): Promise<() => void> {
    let entry = this.#watched.get(channel);
    if (!entry) {
      entry = { key, listeners: new Set() };
      this.#watched.set(channel, entry);
      // While Redis is down the subscription waits in the queue and is made on reconnection.
      const subscribed = this.#subscriber.subscribe(channel).catch(() => undefined);
      if (this.#subscriber.status === 'ready') await subscribed;
    }
    entry.listeners.add(listener);
    const listeners = entry.listeners;
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#watched.get(channel)?.listeners !== listeners) return;
      this.#watched.delete(channel);
      void this.#subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watched.clear();
    this.#subscriber.disconnect();
  }

  #refresh(channel: string): void {
    const entry = this.#watched.get(channel);
    if (!entry || this.#closed) return;
    this.#read(entry.key).then(
      (doc) => {
        for (const listener of entry.listeners) listener(doc);
      },
      // The command connection may come back a moment after this one: try again shortly.
      () => setTimeout(() => this.#refresh(channel), RETRY_READ_MS).unref(),
    );
  }
}
