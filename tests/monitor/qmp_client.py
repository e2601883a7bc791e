"""A minimal QMP client, standard library only, for tests and scripts.

Speaks QMP over a unix socket the way QEMU's Python library does: reads the
greeting, negotiates, sends commands with ids, and keeps events that arrive
in between for later inspection.
"""

import json
import socket
import time


class QmpError(Exception):
    def __init__(self, error):
        super().__init__(f"{error['class']}: {error['desc']}")
        self.error_class = error["class"]
        self.desc = error["desc"]


class QmpClient:
    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buffer = b""
        self.events = []
        self.next_id = 0
        self.greeting = self.read_message()

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def read_message(self):
        """Reads one message; QMP writes each on its own "\\r\\n"-ended line."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("monitor closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def read_reply(self):
        """Reads until a reply, keeping events aside."""
        while True:
            message = self.read_message()
            if "event" in message:
                self.events.append(message)
            else:
                return message

    def negotiate(self):
        return self.command("qmp_capabilities")

    def execute(self, name, arguments=None, id=None):
        request = {"execute": name}
        if arguments is not None:
            request["arguments"] = arguments
        if id is None:
            self.next_id += 1
            id = f"mimic-{self.next_id}"
        request["id"] = id
        self.send_raw(json.dumps(request))
        reply = self.read_reply()
        assert reply.get("id") == id, (reply, id)
        return reply

    def command(self, name, **arguments):
        reply = self.execute(name, arguments or None)
        if "error" in reply:
            raise QmpError(reply["error"])
        return reply["return"]

    def wait_event(self, name, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event["event"] == name:
                    return self.events.pop(index)
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                message = self.read_message()
            except socket.timeout:
                raise TimeoutError(f"no {name} event") from None
            if "event" in message:
                self.events.append(message)
