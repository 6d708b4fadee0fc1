import { connect, type Socket } from 'node:net';

/**
 * Clients that ask for an export and never read it: the service must go on answering
 * everyone else while they hang. Each socket's receive side is paused after the request.
 */
export function openSlowReaders(port: number, authorization: string, paths: string[]): Promise<Socket[]> {
  return Promise.all(paths.map((path) => new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nConnection: keep-alive\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.setNoDelay(true);
    socket.on('error', reject);
  })));
}

export function closeSlowReaders(sockets: Socket[]): void {
  for (const socket of sockets) socket.destroy();
}
