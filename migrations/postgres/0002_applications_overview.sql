-- One row per application, for recruiters who query with SQL (see README, "Querying with
-- SQL"). A document's file is <storage.dir>/sha256/<first two hex digits>/<sha256>.
CREATE VIEW applications_overview AS
SELECT
    a.id,
    a.posting,
    c.last_name,
    c.first_name,
    c.email,
    a.status,
    a.reply_status,
    a.subject_nonconforming,
    a.received_at,
    a.last_inbound_at,
    a.last_outbound_at,
    EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = 'cv') AS has_cv,
    EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = 'letter') AS has_letter,
    (SELECT d.sha256 FROM documents d JOIN messages m ON m.id = d.message_id
      WHERE d.application_id = a.id AND d.kind = 'cv'
      ORDER BY m.sent_at DESC, m.id DESC, d.position DESC LIMIT 1) AS current_cv_sha256,
    (SELECT d.sha256 FROM documents d JOIN messages m ON m.id = d.message_id
      WHERE d.application_id = a.id AND d.kind = 'letter'
      ORDER BY m.sent_at DESC, m.id DESC, d.position DESC LIMIT 1) AS current_letter_sha256
FROM applications a
JOIN candidates c ON c.id = a.candidate_id;
