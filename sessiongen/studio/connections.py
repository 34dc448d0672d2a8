"""The studio's connections: a deadline on reading a request and a cap on how many are open.

uvicorn closes a connection idle after a response (`timeout_keep_alive`), but waits for ever on
one that never sends its request, or sends it a byte at a time; and `limit_concurrency` only
answers 503 once connections are many, which would shut the studio's user out with the rest.
So each connection here (uvicorn's h11 protocol, subclassed) has:

- a deadline for a request's head (`HEAD_TIMEOUT_S` from its first byte, or from the connection's
  opening), and one for a gap in its body (`BODY_GAP_S`, while the studio is waiting to read it):
  past either, the connection is closed;
- a place among at most `MAX_CONNECTIONS`: when one more arrives, the oldest connections that are
  not in the middle of a request (opened and silent, still sending a head, idle between requests)
  are closed to make room. A request being answered is never cut; if every connection is busy,
  the newcomer is closed.

Together they keep the studio answering its own user whatever a local program opens: its file
descriptors stay within the cap plus one accept round, and the newest connection is served.
"""

from __future__ import annotations

from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_TIMEOUT_S = 10.0
BODY_GAP_S = 30.0
KEEP_ALIVE_S = 5
MAX_CONNECTIONS = 64
MAX_HEAD_BYTES = 16 * 1024  # h11's limit for a request's head (line and headers)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a read deadline and a cap on open connections."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.opened_at = self.loop.time()
        self.deadline = None
        self._arm(HEAD_TIMEOUT_S)
        self._make_room()

    def idle(self) -> bool:
        """No request is being answered: nothing sent yet, a head arriving, or between requests."""
        return self.cycle is None or self.cycle.response_complete

    def data_received(self, data: bytes) -> None:
        if self.idle() and self.deadline is None:
            self._arm(HEAD_TIMEOUT_S)  # a new request's head begins: it has HEAD_TIMEOUT_S to arrive whole
        super().data_received(data)
        if self.transport.is_closing():
            return
        if not self.idle():
            if self.cycle.more_body:
                self._arm(BODY_GAP_S)  # its body: each piece gives the next BODY_GAP_S
            else:
                self._disarm()

    def on_response_complete(self) -> None:
        self._disarm()  # uvicorn's keep-alive timeout takes over until the next request's first byte
        super().on_response_complete()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self._late)

    def _disarm(self) -> None:
        if getattr(self, "deadline", None) is not None:
            self.deadline.cancel()
            self.deadline = None

    def _late(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if not self.idle() and (not self.cycle.more_body or self.flow.read_paused):
            return  # the studio is answering, or has not yet read what was sent: not the client's delay
        self.transport.close()

    def _make_room(self) -> None:
        open_now = [c for c in self.connections if not c.transport.is_closing()]
        excess = len(open_now) - MAX_CONNECTIONS
        if excess <= 0:
            return
        quiet = sorted((c for c in open_now if c is not self and _idle(c)), key=lambda c: getattr(c, "opened_at", 0.0))
        for other in quiet[:excess]:
            other.transport.close()
        if excess > len(quiet):
            self.transport.close()  # every other connection is answering a request: this one waits its turn elsewhere


def _idle(connection) -> bool:
    return connection.idle() if isinstance(connection, GuardedH11Protocol) else False


def uvicorn_settings() -> dict:
    """uvicorn's own limits, with the protocol above."""
    return {
        "http": GuardedH11Protocol,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "limit_concurrency": MAX_CONNECTIONS + 16,  # a second wall: never reached while the cap above holds
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "backlog": 128,
    }
