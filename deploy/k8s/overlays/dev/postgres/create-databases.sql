-- Run once, when the data directory is first initialized: one database per service.
CREATE DATABASE org;
CREATE DATABASE member;
CREATE DATABASE funding;
CREATE DATABASE rating;
