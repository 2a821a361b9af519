"""Every link URL scheme with real endpoints: UDP in, UDP out, and a serial port (a pty)."""

from __future__ import annotations

import os
import select
import socket
import threading

import pytest

from dronepatrol.events import EventBus
from dronepatrol.mavlink import Link
from dronepatrol.sitl import Home, SimFleet
from link.mavpeer import ScriptedCopter

HOME = Home(-35.363261, 149.165230, 584.0, 0.0)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_udpin_hears_a_simulator_pushing_to_it_and_answers_it():
    port = free_udp_port()
    sim = SimFleet(1, HOME, speedup=5, base_port=0, udp_out=("127.0.0.1", port)).start()
    link = Link(f"udpin:127.0.0.1:{port}", EventBus()).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=20)
        assert vehicle.snapshot.autopilot == "ARDUPILOTMEGA"
        vehicle.action.set_mode("GUIDED")  # our command and its ACK travel the UDP link
        assert sim.snapshot(0)["mode"] == "GUIDED"
        assert vehicle.params.read("WPNAV_SPEED") > 0
    finally:
        link.close()
        sim.stop()


class _UdpBridge(threading.Thread):
    """A vehicle behind a UDP port: relays datagrams to a scripted copter over TCP."""

    def __init__(self, copter: ScriptedCopter) -> None:
        super().__init__(daemon=True)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.create_connection(("127.0.0.1", copter.port), 5)
        self.peer = None
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            readable, _, _ = select.select([self.udp, self.tcp], [], [], 0.05)
            if self.udp in readable:
                data, self.peer = self.udp.recvfrom(65536)
                self.tcp.sendall(data)
            if self.tcp in readable:
                data = self.tcp.recv(65536)
                if self.peer is not None and data:
                    self.udp.sendto(data, self.peer)

    def stop(self) -> None:
        self.halt.set()
        self.join(5)
        self.udp.close()
        self.tcp.close()


def test_udpout_reaches_a_vehicle_listening_on_udp(copter):
    bridge = _UdpBridge(copter)
    bridge.start()
    link = Link(f"udpout:127.0.0.1:{bridge.port}", EventBus()).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=10)
        vehicle.action.arm()
        assert copter.armed
    finally:
        link.close()
        bridge.stop()


class _PtyBridge(threading.Thread):
    """A serial port (pseudo-terminal) whose far end is a scripted copter."""

    def __init__(self, copter: ScriptedCopter) -> None:
        super().__init__(daemon=True)
        self.master, self.slave = os.openpty()
        self.device = os.ttyname(self.slave)
        self.tcp = socket.create_connection(("127.0.0.1", copter.port), 5)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            readable, _, _ = select.select([self.master, self.tcp], [], [], 0.05)
            if self.master in readable:
                try:
                    self.tcp.sendall(os.read(self.master, 65536))
                except OSError:
                    return
            if self.tcp in readable:
                data = self.tcp.recv(65536)
                if data:
                    os.write(self.master, data)

    def stop(self) -> None:
        self.halt.set()
        self.join(5)
        self.tcp.close()
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
def test_serial_link_over_a_real_tty_device(copter):
    bridge = _PtyBridge(copter)
    bridge.start()
    link = Link(f"serial:{bridge.device}:57600", EventBus()).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=10)
        vehicle.action.arm()
        assert copter.armed
        assert vehicle.params.read("RTL_ALT") == 1500
    finally:
        link.close()
        bridge.stop()


def test_udpin_serves_several_vehicles_sending_to_one_port():
    port = free_udp_port()
    sim = SimFleet(2, HOME, speedup=5, base_port=0, udp_out=("127.0.0.1", port)).start()
    link = Link(f"udpin:127.0.0.1:{port}", EventBus()).start()
    try:
        link.wait_vehicle(1, timeout_s=20)
        second = link.wait_vehicle(2, timeout_s=20)
        second.action.set_mode("GUIDED")
        assert sim.snapshot(1)["mode"] == "GUIDED"
        assert sim.snapshot(0)["mode"] != "GUIDED"
        link.vehicles[1].action.set_mode("LOITER")
        assert sim.snapshot(0)["mode"] == "LOITER"
    finally:
        link.close()
        sim.stop()
