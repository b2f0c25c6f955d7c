"""Starts moto's SQS server (same arguments as `python3 -m moto.server`) with one race in it closed.

moto 5's Queue.delete_message rebuilds the queue's message list without the lock that SendMessage takes, so a message
sent while another request deletes is dropped for good (SendMessage has already answered with its MessageId), and a
message deleted by two requests at once can come back. Real SQS does neither. This happens as soon as consumers delete
while producers send (two pollers, or one poller beside an enqueueing web app), so the tests and the demo start moto
through this script: it runs delete_message, and the receive that moves messages to a dead-letter queue, under that
same per-queue lock. Nothing else about moto changes.
"""

import functools
import sys

from moto.server import main
from moto.sqs import models


def _under_queue_lock(method):
    @functools.wraps(method)
    def locked(queue, *args, **kwargs):
        # Condition() wraps an RLock, and Condition.wait releases it fully, so a long poll still lets sends in.
        with queue._messages_lock:
            return method(queue, *args, **kwargs)

    return locked


def _receive_under_queue_lock(method):
    @functools.wraps(method)
    def locked(backend, queue_name, *args, **kwargs):
        with backend.get_queue(queue_name)._messages_lock:
            return method(backend, queue_name, *args, **kwargs)

    return locked


models.Queue.delete_message = _under_queue_lock(models.Queue.delete_message)
models.SQSBackend.receive_message = _receive_under_queue_lock(models.SQSBackend.receive_message)

if __name__ == "__main__":
    sys.exit(main())
