// Faces for the local stack's demo accounts: each gets a display name and a small generated
// avatar in its profile record (app.bsky.actor.profile/self), written the way any ATProto
// app writes one: com.atproto.repo.uploadBlob, then com.atproto.repo.putRecord. Tests use
// setProfile to change a name and see it arrive.
import { crc32, deflateSync } from 'node:zlib';
import { AtpAgent } from '@atproto/api';

export interface DemoFace {
  displayName: string;
  /** Avatar colour, [r, g, b]. */
  color: readonly [number, number, number];
}

/**
 * A `size`-pixel square PNG: a disc of `color` with a lighter ring on a dark background,
 * so a round crop shows it whole and it is told apart from the letter fallback at a glance.
 */
export function avatarPng(color: readonly [number, number, number], size = 96): Uint8Array {
  const rows: number[] = [];
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    rows.push(0); // filter: none
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c) / c;
      const shade = d < 0.55 ? 1 : d < 0.7 ? 1.35 : 0.35;
      rows.push(...color.map((v) => Math.min(255, Math.round(v * shade))));
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Signs in with the password and writes the profile: the display name, and an avatar when `face.color` is given. */
export async function setProfile(pdsUrl: string, account: { handle: string; password: string }, face: { displayName: string; color?: DemoFace['color'] }): Promise<void> {
  const agent = new AtpAgent({ service: pdsUrl });
  await agent.login({ identifier: account.handle, password: account.password });
  const did = agent.session!.did;
  const current = await agent.com.atproto.repo
    .getRecord({ repo: did, collection: 'app.bsky.actor.profile', rkey: 'self' })
    .then((r) => r.data.value as Record<string, unknown>)
    .catch(() => ({}) as Record<string, unknown>);
  const avatar = face.color
    ? (await agent.com.atproto.repo.uploadBlob(avatarPng(face.color), { encoding: 'image/png' })).data.blob
    : current.avatar;
  await agent.com.atproto.repo.putRecord({
    repo: did,
    collection: 'app.bsky.actor.profile',
    rkey: 'self',
    record: { ...current, $type: 'app.bsky.actor.profile', displayName: face.displayName, ...(avatar ? { avatar } : {}) },
  });
}
