-- A colleague's forward of an application (message/rfc822) that the organisation's own server
-- did not authenticate (issue 23, item 4): anyone can write a colleague's From. Set when such
-- a forward files or joins the application; nothing clears it.
ALTER TABLE applications ADD COLUMN forward_unverified BOOLEAN NOT NULL DEFAULT FALSE;
