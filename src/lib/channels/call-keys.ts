// Keyboard controls of a call: M mutes, D deafens, holding the push-to-talk key talks.
// Ignored while the person types (inputs, text areas, selects, editable content) and with
// Ctrl/Alt/Meta held, so browser and system shortcuts keep working.

export interface CallKeyTarget {
	toggleMute(): void;
	toggleDeafen(): void;
	pushToTalk(held: boolean): void;
}

export function isTyping(target: EventTarget | null): boolean {
	if (!target || typeof (target as Element).closest !== 'function') return false;
	const el = target as HTMLElement;
	return el.isContentEditable || !!el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]');
}

/** Handles one key event; returns true when it was a call control. */
export function handleCallKey(e: KeyboardEvent, call: CallKeyTarget, pushToTalkKey: string): boolean {
	if (e.ctrlKey || e.altKey || e.metaKey || isTyping(e.target)) return false;
	if (e.code === pushToTalkKey) {
		if (e.type === 'keydown' && !e.repeat) call.pushToTalk(true);
		if (e.type === 'keyup') call.pushToTalk(false);
		return true;
	}
	if (e.type !== 'keydown' || e.repeat) return false;
	if (e.code === 'KeyM') call.toggleMute();
	else if (e.code === 'KeyD') call.toggleDeafen();
	else return false;
	return true;
}
