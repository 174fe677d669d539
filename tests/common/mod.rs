pub mod fake_clickhouse;
