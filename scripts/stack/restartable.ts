// Parts of the stack that the control socket can stop and start again while it runs. The
// stack tracks the slot, not one process: its stop() stops whichever process is current, so
// a part restarted any number of times still leaves nothing behind.
import type { Track } from './components.js';

type Component = Parameters<Track>[0];

export class Restartable {
  #current: Component | undefined;
  #start: (track: Track) => Promise<void>;

  /** Registers the slot with the stack's `track` now, so it stops in its place in the order. */
  constructor(readonly name: string, track: Track, start: (track: Track) => Promise<void>) {
    this.#start = start;
    track({ name, stop: (options) => this.stop(options) });
  }

  get running(): boolean {
    return this.#current !== undefined;
  }

  /** Starts the part and resolves once its health check passes. */
  async start(): Promise<void> {
    if (this.#current) throw new Error(`${this.name} is already running`);
    await this.#start((component) => (this.#current = component));
  }

  /** `{ abrupt: true }` is SIGKILL at once, like a crash; otherwise SIGTERM (SIGKILL after 5 s). */
  async stop(options?: { abrupt?: boolean }): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    await current?.stop(options);
  }
}
