-- The web app's list, fast at tens of thousands of applications: its default order (newest
-- first), the same within one status, and the order by name.
CREATE INDEX applications_received ON applications(received_at, id);
CREATE INDEX applications_status_received ON applications(status, received_at, id);
CREATE INDEX candidates_name ON candidates(lower(last_name), lower(first_name));
