"""An SMTP server for the notifier's tests: it listens on 127.0.0.1, writes every
message it accepts to FOLDER as <n>.eml, with its decoded recipients, subject and
text as <n>.txt, and prints its port on the first line.

While the file FOLDER/reply exists, the server replies to each message with the reply
that file contains (such as `451 4.3.0 Try again later`), writes only the time of the
rejection to FOLDER/rejected.log, and a test removes the file to make the server
accept mail again.
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import os
import sys
import time

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        reply_file = os.path.join(self.folder, "reply")
        if os.path.exists(reply_file):
            with open(reply_file, encoding="utf-8") as f:
                reply = f.read().strip()
            # One line per rejected message, with the time in seconds, so a test can
            # measure the intervals between attempts.
            with open(os.path.join(self.folder, "rejected.log"), "a", encoding="utf-8") as f:
                f.write(f"{time.monotonic():.3f}\n")
            return reply
        number = next(self.counter)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        decoded = (
            f"Envelope-To: {', '.join(envelope.rcpt_tos)}\n"
            f"To: {message['To']}\n"
            f"Subject: {message['Subject']}\n\n{text}"
        )
        self.write(f"{number}.eml", envelope.original_content)
        # The .txt file is written last, so a test that reads it finds the .eml too.
        self.write(f"{number}.txt", decoded.encode("utf-8"))
        return "250 OK"

    def write(self, name, data):
        partial = os.path.join(self.folder, name + ".part")
        with open(partial, "wb") as f:
            f.write(data)
        os.replace(partial, os.path.join(self.folder, name))


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="folder the messages are written to")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    loop = asyncio.get_running_loop()
    handler = Sink(args.dir)
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True), host="127.0.0.1", port=args.port
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    # The sink stops when its standard input closes, so it never outlives the test.
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
