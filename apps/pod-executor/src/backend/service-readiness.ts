import { formatDuration } from '@kiln/definition';

/** How often a readiness check looks at the network namespace's listening sockets. */
export const PORT_POLL_MS = 200;

/**
 * A shell script that exits 0 once /proc/net/tcp or tcp6 shows a socket listening (state 0A) on
 * `port`, 1 after `timeoutMs`. Shell builtins only, so any image with `sh` and `sleep` runs it;
 * run from any container of the namespace. A listening socket is what a connection needs: the
 * kernel completes the handshake from its backlog.
 */
export function listeningScript(port: number, timeoutMs: number): string {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return [
    `i=0`,
    `while [ $i -lt ${Math.ceil(timeoutMs / PORT_POLL_MS)} ]; do`,
    `  for f in /proc/net/tcp /proc/net/tcp6; do`,
    `    [ -r $f ] || continue`,
    `    while read -r n local remote state rest; do`,
    `      case "$local $state" in *:${hex}' 0A') exit 0;; esac`,
    `    done < $f`,
    `  done`,
    `  i=$((i+1))`,
    `  sleep ${PORT_POLL_MS / 1000}`,
    `done`,
    `exit 1`,
  ].join('\n');
}

/** The step's failure when a service does not listen in time. */
export function notListening(service: string, port: number, timeoutMs: number): string {
  return `service "${service}" did not accept connections on port ${port} within ${formatDuration(timeoutMs)}`;
}
