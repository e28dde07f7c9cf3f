// CreateSession's order of checks, without a network: DID lookups go to a fake resolver that
// records each DID it is asked about and answers with keys made here, and the replay cache
// is a memory store that counts the token ids it is given. Signatures are real (ES256K).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { Code, ConnectError } from '@connectrpc/connect';
import { Secp256k1Keypair, type Keypair } from '@atproto/crypto';
import { createServiceJwt } from '@atproto/xrpc-server';
import type { IdResolver } from '@atproto/identity';
import { loadConfig } from './config.js';
import { serviceDidRef } from './did-web.js';
import type { Identity } from './identity/resolver.js';
import { createSessionAuthority, type SessionAuthority } from './session-authority.js';
import { MemoryStore } from './store/memory.js';

const ALICE = 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa';
const MALLORY = 'did:plc:mmmmmmmmmmmmmmmmmmmmmmmm';
const SIGN_IN_LIMIT = 3;
const dataDir = mkdtempSync(join(tmpdir(), 'microclimate-authority-spec-'));
const config = loadConfig({ MICROCLIMATE_DATA_DIR: dataDir, MICROCLIMATE_SIGN_IN_RATE_LIMIT: String(SIGN_IN_LIMIT) });
const aud = serviceDidRef(config.publicHosts[0]!);
const nowS = () => Math.floor(Date.now() / 1000);

/** Remembers how many token ids the replay cache was asked to keep. */
class CountingStore extends MemoryStore {
  jtis = 0;
  override async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    if (key.startsWith('jti:')) this.jtis++;
    return super.setIfAbsent(key, ttlMs);
  }
}

const keys = new Map<string, Keypair>();
/** Every DID whose key the server looked up, in order. */
let lookups: string[] = [];
const identity = {
  idResolver: {
    did: {
      resolveAtprotoKey: async (did: string) => {
        lookups.push(did);
        const key = keys.get(did);
        if (!key) throw new Error(`no DID document for ${did}`);
        return key.did();
      },
      resolve: async () => null,
    },
    handle: { resolve: async () => undefined },
  } as unknown as IdResolver,
  resolveHandle: async () => undefined,
  fetch: globalThis.fetch,
} satisfies Identity;

let store: CountingStore;
let authority: SessionAuthority;

beforeEach(async () => {
  for (const did of [ALICE, MALLORY]) if (!keys.has(did)) keys.set(did, await Secp256k1Keypair.create());
  lookups = [];
  store = new CountingStore();
  authority = await createSessionAuthority(config, store, identity);
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function token(iss: string, times: { iat?: number; exp?: number } = {}): Promise<string> {
  return createServiceJwt({ iss, aud, lxm: config.lxm, keypair: keys.get(iss)!, ...times });
}

async function refusal(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    return `${Code[e.code]}: ${e.rawMessage}`;
  }
  throw new Error('expected a refusal');
}

describe('renewal', () => {
  it("a renewal carrying another account's token is refused before that account's DID is looked up", async () => {
    const alice = await authority.signIn(await token(ALICE), '192.0.2.1');
    lookups = [];
    const stolen = await token(MALLORY);
    expect(await refusal(authority.signIn(stolen, '192.0.2.1', alice.token))).toBe(
      'Unauthenticated: the session to renew belongs to another account; sign in again',
    );
    expect(lookups).toEqual([]);
    expect(store.jtis).toBe(1); // alice's sign-in only
  });

  it("a renewal with the account's own token still verifies it and issues a session", async () => {
    const alice = await authority.signIn(await token(ALICE), '192.0.2.1');
    lookups = [];
    const renewed = await authority.signIn(await token(ALICE), '192.0.2.1', alice.token);
    expect(renewed.did).toBe(ALICE);
    expect(lookups).toEqual([ALICE]);
  });
});

describe('the per-account sign-in limit and the replay cache', () => {
  it('a flood of validly signed tokens from one account stops at its limit, and the refused ones leave no token id in the replay cache', async () => {
    const outcomes: string[] = [];
    // Each from its own address, so only the per-account limit can stop them.
    for (let i = 1; i <= 10; i++) {
      outcomes.push(await authority.signIn(await token(ALICE), `198.51.100.${i}`).then(() => 'ok', (err: unknown) => Code[ConnectError.from(err).code]));
    }
    expect(outcomes).toEqual([...Array(SIGN_IN_LIMIT).fill('ok'), ...Array(10 - SIGN_IN_LIMIT).fill('ResourceExhausted')]);
    expect(store.jtis).toBe(SIGN_IN_LIMIT);
  });

  it("a forged token naming an account spends none of that account's budget", async () => {
    const real = keys.get(ALICE)!;
    keys.set(ALICE, await Secp256k1Keypair.create()); // the server now trusts another key
    for (let i = 1; i <= SIGN_IN_LIMIT + 2; i++) {
      expect(await refusal(authority.signIn(await createServiceJwt({ iss: ALICE, aud, lxm: config.lxm, keypair: real }), `203.0.113.${i}`))).toMatch(/^Unauthenticated: /);
    }
    keys.set(ALICE, real);
    expect((await authority.signIn(await token(ALICE), '203.0.113.99')).did).toBe(ALICE);
  });
});

describe('clock refusals', () => {
  // The PDS sets iat and exp by its clock; the app treats only UNAUTHENTICATED and
  // PERMISSION_DENIED as "signed out" (src/lib/auth/renewal-errors.ts).
  it('a token that expired by this server\'s clock is refused with FAILED_PRECONDITION, not UNAUTHENTICATED', async () => {
    const late = await token(ALICE, { iat: nowS() - 120, exp: nowS() - 60 });
    expect(await refusal(authority.signIn(late, '192.0.2.7'))).toMatch(/^FailedPrecondition: service token has expired; the clocks/);
  });

  it('a token issued in the future by this server\'s clock is refused with FAILED_PRECONDITION, not UNAUTHENTICATED', async () => {
    const early = await token(ALICE, { iat: nowS() + 120, exp: nowS() + 170 });
    expect(await refusal(authority.signIn(early, '192.0.2.8'))).toMatch(/^FailedPrecondition: service token is issued in the future; the clocks/);
  });
});
