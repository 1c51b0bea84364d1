"""The embedded default's broker: kombu's filesystem transport, writing each message atomically.

kombu's transport creates a message file and then writes it; a worker polling the folder at that
moment moves and reads an empty file and stops with ``JSONDecodeError`` (celery/kombu#1551; seen
here when beat and the worker's consumer start together). Here a message is written under a
temporary name the consumer ignores, then renamed into place, which is atomic.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The same name kombu gives (its consumer takes files in name order, "<ms>_<uuid>.<queue>.msg").
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        # Starts with a dot and ends in .tmp: never taken for a message of any queue.
        temporary = os.path.join(self.data_folder_out, f".{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "wb") as file:
                file.write(dumps(payload).encode())
            os.replace(temporary, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
