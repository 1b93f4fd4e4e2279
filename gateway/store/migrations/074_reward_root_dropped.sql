-- A proposed reward root that left the distributor's pending slot without being accepted: revoked by the
-- guardian, or superseded by another proposer's root. The gateway never accepts a root it did not propose;
-- its next root (after the next mined batch, cumulative as always) carries the same rewards.
ALTER TABLE reward_roots DROP CONSTRAINT reward_roots_status_check;
ALTER TABLE reward_roots ADD CONSTRAINT reward_roots_status_check
  CHECK (status IN ('built', 'proposed', 'accepted', 'dropped'));
