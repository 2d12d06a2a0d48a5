//! Runs where researchers already look: TensorBoard event files written while a grid runs
//! ([`tensorboard`]: one TensorBoard run per runner run, curves as scalars, axes and final
//! metrics in the HParams view), from the records of [`event_file`] and the protocol-buffer
//! encodings of [`proto`]) and MLflow runs exported through its REST API ([`mlflow`], over
//! [`mlflow_client`]).

pub mod event_file;
pub mod mlflow;
pub mod mlflow_client;
pub mod proto;
pub mod tensorboard;
