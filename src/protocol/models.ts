/** What the extension tells the Models view and its tests about running model servers (no `vscode` import). */

export interface ServerInfo {
  readonly name: string;
  readonly base: string;
  readonly port: number;
  /** http://127.0.0.1:PORT/v1/models/NAME */
  readonly url: string;
  readonly pid: number | undefined;
  /** The version the server answers with by default (AVAILABLE), once known. */
  readonly version?: string;
  /** Where it logs its requests (`--log-dir`), when it does. */
  readonly logDir?: string;
  /** Its canary split (`--split`, e.g. `champion=90,challenger=10`), when it has one. */
  readonly split?: string;
}
