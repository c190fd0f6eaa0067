DROP TABLE opt_outs;
DROP TABLE notifications;
DROP TABLE npo_contacts;
