/** The data panels' channel (webviews/shared/host.ts, typed with src/protocol/data.ts) and their saved state. */
import type { FromWebview, PanelState, ToWebview } from '../../src/protocol/data';
import { connect } from '../shared/host';

const channel = connect<ToWebview, FromWebview, PanelState>();

export const post = channel.post;
export const onMessage = channel.onMessage;
export const reportError = channel.reportError;
export const ready = channel.ready;

let state: PanelState = channel.getState() ?? ({} as PanelState);

export function getState(): PanelState {
  return state;
}

/** Saved by VS Code with the panel, so the serializer restores it after a reload. */
export function setState(patch: Partial<PanelState>): void {
  state = { ...state, ...patch };
  channel.setState(state);
}
