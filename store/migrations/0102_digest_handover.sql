-- A digest's delivery is recorded before the message is handed over
-- (SMTP DATA): handed_at is when the attempt in flight began DATA, cleared
-- when the server's answer is recorded. A sender that finds it set (the
-- previous one stopped with the message in the server's hands, or lost the
-- connection waiting for the answer) counts an unconfirmed handover: the
-- server may have the message. After one, the digest is sent once more
-- (same bytes, same Message-ID); after two it is not sent again but
-- settled as maybe_sent.
ALTER TABLE digests ADD COLUMN handed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE digests ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
