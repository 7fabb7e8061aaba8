//! Integration tests: the real router, driven in-process, on SQLite and on PostgreSQL.

mod accounts;
mod support;
mod web;
