"""The peer the benchmark compares applymail with: a backfill written the usual way with
imap_tools (the library paperless-ngx's mail consumer uses), saving every attachment as a file
named by its SHA-256 and recording each message and attachment in SQLite, one commit per
message, over plain IMAP. Run by benches/backfill.rs inside a virtualenv that has imap_tools.

usage: peer_imap_tools.py HOST PORT USER PASSWORD OUT_DIR
prints the number of messages and attachments it saved.
"""

import hashlib
import os
import sqlite3
import sys

from imap_tools import MailBoxUnencrypted


def main() -> None:
    host, port, user, password, out = sys.argv[1:6]
    os.makedirs(os.path.join(out, "documents"), exist_ok=True)
    db = sqlite3.connect(os.path.join(out, "peer.db"))
    db.execute(
        "CREATE TABLE messages (uid TEXT PRIMARY KEY, message_id TEXT, sender TEXT, subject TEXT)"
    )
    db.execute("CREATE TABLE documents (uid TEXT, filename TEXT, sha256 TEXT, size INTEGER)")
    messages = documents = 0
    with MailBoxUnencrypted(host, port=int(port)).login(user, password, "INBOX") as mailbox:
        for msg in mailbox.fetch(mark_seen=False):
            db.execute(
                "INSERT INTO messages VALUES (?, ?, ?, ?)",
                (msg.uid, msg.headers.get("message-id", ("",))[0], msg.from_, msg.subject),
            )
            for att in msg.attachments:
                digest = hashlib.sha256(att.payload).hexdigest()
                with open(os.path.join(out, "documents", digest), "wb") as f:
                    f.write(att.payload)
                db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?)",
                    (msg.uid, att.filename, digest, len(att.payload)),
                )
                documents += 1
            db.commit()
            messages += 1
    print(messages, documents)


if __name__ == "__main__":
    main()
