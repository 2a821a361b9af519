"""The dedicated MJPEG fan-out server: many viewers from one thread, slow ones skip."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time

import pytest
from support import wait_until
from video_support import MjpegClient

from dronepatrol.video.frames import FrameBufferRegistry
from dronepatrol.video.streamer import MjpegStreamServer

FPS = 25.0


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.fixture
def server():
    registry = FrameBufferRegistry()
    streamer = MjpegStreamServer(registry, sndbuf=65536).start()
    yield registry, streamer
    streamer.stop()


def _jpeg(n: int, size: int = 90_000) -> bytes:
    body = bytes((n + k) % 251 for k in range(256)) * (size // 256)
    return b"\xff\xd8\xff" + body + b"\xff\xd9"


def test_routes_and_errors(server) -> None:
    registry, streamer = server
    missing = _raw(streamer.port, b"GET /video/9.mjpg HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = missing.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404")
    assert "no video stream" in json.loads(body)["message"]
    assert _raw(streamer.port, b"POST /video/1.jpg HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405")
    assert _raw(streamer.port, b"nonsense\r\n\r\n").startswith(b"HTTP/1.1 400")
    buffer = registry.ensure("1")
    assert _raw(streamer.port, b"GET /video/1.jpg HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 503")
    buffer.publish(_jpeg(1), time.time(), 1280, 720)
    shot = _raw(streamer.port, b"GET /video/1.jpg HTTP/1.1\r\n\r\n")
    head, _, body = shot.partition(b"\r\n\r\n")
    assert b"200 OK" in head and b"X-Frame-Seq: 1" in head and body == _jpeg(1)


def test_fan_out_to_many_with_a_slow_viewer(server) -> None:
    registry, streamer = server
    buffer = registry.ensure("1")
    results: dict[str, list[tuple[int, int]]] = {}

    def watch(name: str, slow: bool) -> None:
        client = MjpegClient(streamer.port, "/video/1.mjpg", rcvbuf=16384 if slow else None)
        got = results.setdefault(name, [])
        assert client.status == 200
        try:
            while True:
                headers, jpeg = client.next_part()
                seq = int(headers["x-frame-seq"])
                assert jpeg == _jpeg(seq)
                latest = buffer.latest()
                got.append((seq, latest.seq if latest else seq))
                if slow:
                    time.sleep(0.3)
        except (EOFError, OSError):
            pass
        finally:
            client.close()

    viewers = [threading.Thread(target=watch, args=(f"fast{i}", False)) for i in range(4)]
    viewers.append(threading.Thread(target=watch, args=("slow", True)))
    for v in viewers:
        v.start()
    wait_until(lambda: streamer.viewers >= 5, 5, "five viewers connected", every_s=0.02)
    assert buffer.status()["viewers"] == 5
    start = time.monotonic()
    for n in range(1, 101):
        buffer.publish(_jpeg(n), time.time(), 1280, 720)
        time.sleep(max(0.0, start + n / FPS - time.monotonic()))
    time.sleep(0.3)
    buffer.close()
    for v in viewers:
        v.join(20)
    for i in range(4):
        seqs = [s for s, _ in results[f"fast{i}"]]
        # Nearly every frame (a loaded test machine may starve the clients themselves).
        assert seqs == sorted(set(seqs)) and len(seqs) >= 60, len(seqs)
    slow = results["slow"]
    seqs = [s for s, _ in slow]
    assert 3 <= len(seqs) <= 50 and seqs == sorted(set(seqs))
    assert any(b - a > 1 for a, b in itertools.pairwise(seqs))
    live = [latest - seq for seq, latest in slow][:12]
    assert max(live[-4:]) - min(live[-4:]) <= 8 and max(live) <= 60, live
    assert buffer.status()["latency_ms"]["capture_to_sent"]["count"] >= 4 * 60
    assert streamer.viewers == 0
