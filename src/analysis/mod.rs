//! Analysis: experiment data loaded from run stores, aggregated over seeds with confidence
//! intervals, and the statistics behind them. `report` turns the results into tables and figures.

pub mod aggregate;
pub mod direction;
pub mod experiment_data;
pub mod intervals;
pub mod thresholds;
