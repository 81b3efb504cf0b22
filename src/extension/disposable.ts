import type * as vscode from 'vscode';

/**
 * The base of everything in the extension that owns resources: `_register` ties a disposable's
 * lifetime to this object, `dispose` releases them all once, newest first. (The pattern of VS Code's
 * own `Disposable` base; see docs/ARCHITECTURE.md, "Lifetimes".)
 */
export abstract class Disposable implements vscode.Disposable {
  private readonly _toDispose: vscode.Disposable[] = [];
  private _isDisposed = false;

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Owns `d`: it is disposed with this object (at once when this one is already disposed). */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._toDispose.push(d);
    return d;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    for (const d of this._toDispose.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // One failing disposal must not keep the others alive.
      }
    }
  }
}

/** Something a subscription can be tied to: a `Disposable`'s register, or `context.subscriptions`. */
export type Owner = { push(d: vscode.Disposable): unknown } | ((d: vscode.Disposable) => unknown);

export function own<T extends vscode.Disposable>(owner: Owner | undefined, d: T): T {
  if (typeof owner === 'function') owner(d);
  else owner?.push(d);
  return d;
}
