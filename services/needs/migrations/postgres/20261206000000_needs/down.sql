DROP TABLE needs_overdue_notices;
DROP TABLE needs_npo_proposals;
DROP TABLE needs_joint_action_proposals;
DROP TABLE needs_priorities;
DROP TABLE needs_activities;
DROP TABLE needs_assessment_spheres;
DROP TABLE needs_assessments;
