/** Whether something accepts TCP connections on 127.0.0.1:`port` (a model server's port is open, or closed after stopping it). */
import net from 'node:net';

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
