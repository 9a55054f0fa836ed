//! Plan optimiser (`cordon optimize`): proposes where posts stand and how many lanes each
//! checkpoint gets, from fast surrogates over a baseline run ([`surrogate`]), then proves the
//! proposal by Monte Carlo simulation with the batch machinery.

pub mod surrogate;
