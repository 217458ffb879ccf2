-- The first Reply-To address of a candidate's message (issue 28): an answer from the
-- organisation sent there (a work address, a relative's) is a reply to the candidate.
-- Only a candidate's own messages carry it, never a colleague's forward.
ALTER TABLE messages ADD COLUMN reply_to TEXT;
CREATE INDEX messages_reply_to ON messages (reply_to);

-- An application filed from a colleague's inline forward (issue 28): the original sender
-- comes from text in the body ("De : … Objet : …"), which is less certain than an attached
-- message/rfc822. Set when such a forward files or joins the application; nothing clears it.
ALTER TABLE applications ADD COLUMN forwarded_inline BOOLEAN NOT NULL DEFAULT FALSE;
