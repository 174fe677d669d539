//! posthog-charttest: tests the PostHog Helm chart from the first template to the last
//! ingested event.

pub mod chart;
pub mod cli;
pub mod engine;
pub mod fuzz;
pub mod render;
pub mod upgrade;
