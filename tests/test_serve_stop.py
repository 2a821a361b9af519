"""``serve`` stops even when a worker was writing to a viewer that had gone."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import waitress
from support import wait_until

from dronepatrol.cli.serve import close_connections, serve_until


def test_a_stream_to_a_vanished_viewer_ends_once_the_connections_are_closed() -> None:
    ended = threading.Event()

    def endless(environ, start_response) -> Iterator[bytes]:  # a live stream, never done
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        try:
            while True:
                yield b"x" * 65536
        finally:
            ended.set()

    server = waitress.create_server(
        endless, host="127.0.0.1", port=0, threads=1, outbuf_high_watermark=256 * 1024
    )
    stop = threading.Event()
    loop = threading.Thread(target=serve_until, args=(server, stop, 0.05))
    loop.start()
    viewer = socket.create_connection(("127.0.0.1", server.effective_port))
    viewer.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert viewer.recv(4096).startswith(b"HTTP/1.1 200")
    stop.set()  # the app stops serving: its event loop ends...
    loop.join(5)
    # ...and the viewer vanishes (a reset, not a goodbye): the worker's next flush fails
    # and it waits for the stopped loop to close the connection
    viewer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    viewer.close()
    assert not ended.wait(1.0), "the stream ended without the connections being closed"
    close_connections(server)
    wait_until(ended.is_set, 10, "the stream to end")
    server.task_dispatcher.shutdown(timeout=5)
    server.close()
