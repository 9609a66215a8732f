"""Overload: each worker holds a bounded queue of requests, and each wait in it is bounded.

    router = APIRouter(prefix="/classify", dependencies=[Admitted])    # 503 + Retry-After when full
    raise Overloaded("... (RNNLAB_QUEUE_TIMEOUT_S)")                    # a wait that took too long

The queue is every /classify or /add request of this worker that holds its body and has not yet
answered: waiting for a preprocessing thread, preprocessing, or waiting for its batch. Past
RNNLAB_MAX_QUEUE such requests a new one is answered at once with 503 and `Retry-After`, rather
than made to wait behind them; a request that waits longer than RNNLAB_QUEUE_TIMEOUT_S for a thread
(app/deps.py's Pool) or for its batch (app/batching.py) gets the same 503. Latency then stays
bounded under overload, and a client or load balancer knows to retry.
"""

from collections.abc import AsyncIterator

from fastapi import Depends, Request

RETRY_AFTER_S = 1  # what a 503 tells the client to wait: about the time a full queue takes to drain


class Overloaded(RuntimeError):
    """The worker cannot take or finish this request in time; answered 503 with Retry-After."""

    status_code = 503


class Queue:
    """The requests this worker holds, at most `limit` (RNNLAB_MAX_QUEUE)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0

    def enter(self) -> None:
        if self.size >= self.limit:
            raise Overloaded(f"the server is busy: {self.size} requests are queued (RNNLAB_MAX_QUEUE); retry shortly")
        self.size += 1

    def leave(self) -> None:
        self.size -= 1


async def admitted(request: Request) -> AsyncIterator[None]:
    """A place in this worker's queue for the length of the route's function, or Overloaded."""
    queue: Queue = request.app.state.queue
    queue.enter()
    try:
        yield
    finally:
        queue.leave()


Admitted = Depends(admitted, scope="function")  # released before the response is sent
