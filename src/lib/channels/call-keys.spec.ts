import { describe, expect, it, vi } from 'vitest';
import { handleCallKey } from './call-keys.js';

function key(type: 'keydown' | 'keyup', code: string, extra: Partial<KeyboardEvent> = {}): KeyboardEvent {
	return { type, code, repeat: false, ctrlKey: false, altKey: false, metaKey: false, target: null, ...extra } as KeyboardEvent;
}

const call = () => ({ toggleMute: vi.fn(), toggleDeafen: vi.fn(), pushToTalk: vi.fn() });

describe('call keys', () => {
	it('M mutes, D deafens, holding the push-to-talk key talks until released', () => {
		const c = call();
		handleCallKey(key('keydown', 'KeyM'), c, 'Backquote');
		handleCallKey(key('keydown', 'KeyD'), c, 'Backquote');
		handleCallKey(key('keydown', 'Backquote'), c, 'Backquote');
		handleCallKey(key('keydown', 'Backquote', { repeat: true }), c, 'Backquote');
		handleCallKey(key('keyup', 'Backquote'), c, 'Backquote');
		expect(c.toggleMute).toHaveBeenCalledOnce();
		expect(c.toggleDeafen).toHaveBeenCalledOnce();
		expect(c.pushToTalk.mock.calls).toEqual([[true], [false]]);
	});

	it('follows a rebound push-to-talk key', () => {
		const c = call();
		expect(handleCallKey(key('keydown', 'Space'), c, 'Space')).toBe(true);
		expect(c.pushToTalk).toHaveBeenCalledWith(true);
	});

	it('ignores keys typed into a field, repeats, and shortcuts with modifiers', () => {
		const c = call();
		const input = { closest: () => ({}), isContentEditable: false } as unknown as EventTarget;
		expect(handleCallKey(key('keydown', 'KeyM', { target: input }), c, 'Backquote')).toBe(false);
		expect(handleCallKey(key('keydown', 'KeyM', { ctrlKey: true }), c, 'Backquote')).toBe(false);
		expect(handleCallKey(key('keydown', 'KeyD', { repeat: true }), c, 'Backquote')).toBe(false);
		expect(c.toggleMute).not.toHaveBeenCalled();
		expect(c.toggleDeafen).not.toHaveBeenCalled();
	});
});
