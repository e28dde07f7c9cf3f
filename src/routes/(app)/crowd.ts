// A channel with more than CROWD people lists its speakers and summarises its listeners
// ("and 88 listening"); issue 27, item 2.
export const CROWD = 8;
