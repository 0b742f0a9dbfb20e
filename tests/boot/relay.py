"""Joins one guest connection to a loopback port, for the boot test's qemu guestfwd rules.

qemu's user networking runs this once per connection the guest opens, with the
connection on standard input and output (and standard error: so this program never
writes there). It connects to 127.0.0.1:PORT and copies bytes both ways, passing
on each half-close, until both directions have ended.

Usage: /usr/bin/python3 relay.py PORT
"""

import os
import select
import socket
import sys


def _relay(guest, upstream):
    open_from = {guest: True, upstream: True}
    peer = {guest: upstream, upstream: guest}

    while any(open_from.values()):
        readable, _, _ = select.select([s for s, o in open_from.items() if o], [], [])
        for source in readable:
            data = source.recv(65536)
            if data:
                peer[source].sendall(data)
                continue

            # End of stream from one side: tell the other side it gets no more.
            open_from[source] = False
            try:
                peer[source].shutdown(socket.SHUT_WR)
            except OSError:
                pass


def main():
    port = int(sys.argv[1])

    # Only loopback: nothing the guest sends goes anywhere else.
    upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
    upstream.settimeout(None)
    guest = socket.socket(fileno=os.dup(0))

    try:
        _relay(guest, upstream)
    except OSError:
        pass
    finally:
        upstream.close()
        guest.close()


if __name__ == "__main__":
    # qemu hands standard error to the guest's connection too: keep it silent.
    sys.stderr = open(os.devnull, "w", encoding="ascii")
    main()
