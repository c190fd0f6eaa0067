DROP TABLE memorandum_actions;
DROP TABLE memorandum_parties;
DROP TABLE memoranda;
