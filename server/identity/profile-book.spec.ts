import { describe, expect, it } from 'vitest';
import { ProfileBook } from './profile-book.js';
import type { Profile } from './profile.js';

const ALICE: Profile = { handle: 'alice.test', displayName: 'Alice', avatarUrl: 'https://img.example/a' };
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ProfileBook', () => {
  it('a sign-in waits only a moment for a PDS that does not answer, and gets no profile', async () => {
    const book = new ProfileBook(() => new Promise<Profile>(() => {}));
    const t0 = Date.now();
    expect(await book.fresh('did:plc:alice', 50)).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a failing read never throws and keeps the last good profile', async () => {
    let fail = false;
    const book = new ProfileBook(async () => {
      if (fail) throw new Error('PDS down');
      return ALICE;
    });
    expect(await book.fresh('did:plc:alice', 1000)).toEqual(ALICE);
    fail = true;
    expect(await book.fresh('did:plc:alice', 1000)).toEqual(ALICE);
  });

  it('lists never wait: an unknown person is read in the background and announced when known', async () => {
    const book = new ProfileBook(async () => ALICE);
    const changed: string[] = [];
    book.onChange((did) => changed.push(did));
    expect(book.known('did:plc:alice')).toBeUndefined();
    await tick();
    expect(changed).toEqual(['did:plc:alice']);
    expect(book.known('did:plc:alice')).toEqual(ALICE);
  });

  it('reads a profile again once it is older than maxAge, and announces a new name', async () => {
    let now = 0;
    let name = 'Alice';
    let reads = 0;
    const book = new ProfileBook(async () => (reads++, { ...ALICE, displayName: name }), { maxAgeMs: 300_000, now: () => now });
    await book.fresh('did:plc:alice', 1000);
    const changed: string[] = [];
    book.onChange((did) => changed.push(did));
    name = 'Alice B.';
    now = 299_000;
    book.known('did:plc:alice');
    await tick();
    expect(reads).toBe(1);
    now = 300_000;
    expect(book.known('did:plc:alice')?.displayName).toBe('Alice');
    await tick();
    expect(reads).toBe(2);
    expect(changed).toEqual(['did:plc:alice']);
    expect(book.known('did:plc:alice')?.displayName).toBe('Alice B.');
  });

  it('a handle that does not check out keeps the last one that did', async () => {
    let handle: string | undefined = 'alice.test';
    const book = new ProfileBook(async () => ({ ...ALICE, handle }));
    await book.fresh('did:plc:alice', 1000);
    handle = undefined;
    expect((await book.fresh('did:plc:alice', 1000))?.handle).toBe('alice.test');
  });

  it('holds at most maxEntries people', async () => {
    const book = new ProfileBook(async () => ALICE, { maxEntries: 2 });
    for (const n of [1, 2, 3]) await book.fresh(`did:plc:p${n}`, 1000);
    let reads = 0;
    const again = new ProfileBook(async () => (reads++, ALICE), { maxEntries: 2 });
    for (const n of [1, 2, 3, 1]) await again.fresh(`did:plc:p${n}`, 1000);
    expect(reads).toBe(4);
    expect(book.known('did:plc:p3')).toEqual(ALICE);
  });
});
