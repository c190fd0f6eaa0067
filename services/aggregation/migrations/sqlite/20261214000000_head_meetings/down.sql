DROP TABLE head_meeting_invitations;
DROP TABLE head_meeting_territories;
DROP TABLE head_meeting_spheres;
DROP TABLE head_meetings;
