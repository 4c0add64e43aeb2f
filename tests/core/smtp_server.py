"""A small SMTP server on loopback for the outbox tests (core.mail), scripted per test: what it
answers to MAIL FROM, RCPT TO and the end of DATA, or that it hangs up or falls silent at a given
moment. It speaks just enough SMTP for smtplib (no extensions, no TLS) and keeps every message it
received whole (`messages`), as a relay would have queued it."""

import email
import socket
import threading
from email.message import Message

OK = "250 OK"
# Special answers: hang up without answering, or say nothing until the test ends.
CLOSE, SILENT = "close", "silent"


class SMTPServer:
    def __init__(
        self,
        *,
        mail: str = OK,
        rcpt: str = OK,
        data_end: str = "250 2.0.0 Ok: queued",
        before_data_end: threading.Event | None = None,
    ) -> None:
        self.mail, self.rcpt, self.data_end = mail, rcpt, data_end
        self.before_data_end = before_data_end  # set by the test before the answer goes out
        self.messages: list[bytes] = []
        self.data_received = threading.Event()  # a whole message has arrived
        self.answered = threading.Event()  # …and its answer has been sent
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self.before_data_end is not None:
            self.before_data_end.set()
        for conn in self._conns:
            conn.close()
        self._sock.close()
        self._thread.join(timeout=10)

    def parsed(self) -> list[Message]:
        return [email.message_from_bytes(m) for m in self.messages]

    # -- the conversation ------------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._conns.append(conn)
            try:
                self._talk(conn)
            except OSError:
                pass
            finally:
                conn.close()

    def _answer(self, conn: socket.socket, reply: str) -> bool:
        """Send `reply`; False when the conversation is to end here."""
        if reply == CLOSE:
            return False
        if reply == SILENT:
            self._stop.wait()
            return False
        conn.sendall(reply.encode() + b"\r\n")
        return True

    def _talk(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 test ESMTP\r\n")
        while not self._stop.is_set():
            line = reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO", b"RSET", b"NOOP"):
                reply = "250 test"
            elif verb == b"MAIL":
                reply = self.mail
            elif verb == b"RCPT":
                reply = self.rcpt
            elif verb == b"DATA":
                conn.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                self._receive(reader)
                if self.before_data_end is not None:
                    self.before_data_end.wait()
                reply = self.data_end
            elif verb == b"QUIT":
                conn.sendall(b"221 Bye\r\n")
                return
            else:
                reply = "502 Command not implemented"
            if not self._answer(conn, reply):
                return
            if verb == b"DATA":
                self.answered.set()

    def _receive(self, reader) -> None:
        lines = []
        while (line := reader.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        self.messages.append(b"".join(lines))
        self.data_received.set()
